import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../../server/config.ts';

// docs/deploy.md is followed line by line by administrators: what it names must exist.
const deploy = readFileSync('docs/deploy.md', 'utf8');
const readme = readFileSync('README.md', 'utf8');
const usage = readFileSync('server/cli.ts', 'utf8');

describe('docs/deploy.md', () => {
  const unit = /```ini\n([\s\S]*?)```/.exec(deploy)?.[1] ?? '';

  test('the systemd unit is hardened, writes only the data and key directories, and leaves the JIT working', () => {
    const directives = new Map(unit.split('\n').filter((l) => /^\w+=/.test(l)).map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    for (const [name, value] of Object.entries({ NoNewPrivileges: 'yes', ProtectSystem: 'strict', PrivateTmp: 'yes', ProtectHome: 'yes', PrivateDevices: 'yes', CapabilityBoundingSet: '', UMask: '0077', User: 'sealdrop' })) {
      expect(directives.get(name), name).toBe(value);
    }
    expect(directives.get('ReadWritePaths')).toContain('/var/lib/sealdrop');
    expect(directives.get('MemoryMax')).toMatch(/^\d+[MG]$/);
    expect(directives.get('ExecStart')).toMatch(/sealdrop\.js onion$/);
    expect(directives.has('MemoryDenyWriteExecute')).toBe(false);
  });

  test('every sealdrop command it names exists', () => {
    const named = [...(deploy + readme).matchAll(/sealdrop (journalist \w+|onion|serve|export|decrypt|verify-client)\b/g)].map((m) => m[1]!);
    expect(named.length).toBeGreaterThan(5);
    for (const command of new Set(named)) {
      const [first, sub] = command.split(' ');
      expect(usage, command).toMatch(new RegExp(`^  ${first}\\b${sub ? `[^\\n]*\\b${sub}\\b` : ''}`, 'm'));
    }
  });

  test('every SEALDROP_* setting it names is one the server knows', () => {
    const names = new Set([...(deploy + readme).matchAll(/\bSEALDROP_[A-Z_]+/g)].map((m) => m[0]));
    expect(names.size).toBeGreaterThan(5);
    for (const name of names) {
      try {
        loadConfig({ [name]: '' });
      } catch (error) {
        expect(error instanceof ConfigError && /Unknown setting/.test(error.message), name).toBe(false);
      }
    }
    expect(() => loadConfig({ SEALDROP_NOT_A_SETTING: '' })).toThrow(/Unknown setting/);
  });

  test('the README sends administrators here', () => {
    expect(readme).toContain('docs/deploy.md');
  });
});
