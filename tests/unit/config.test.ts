import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('loadConfig', () => {
  test('the embedded defaults', () => {
    const config = loadConfig({});
    expect(config).toMatchObject({ host: '127.0.0.1', sourcePort: 8080, journalistPort: 8081, partSize: 4 * 1024 * 1024, retentionDays: null });
    expect(config.dataDir).toBe(path.resolve('data'));
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.keyFile).toBe(path.resolve('data', 'secret.key'));
    expect(loadConfig({ SEALDROP_DATA: '/srv/drop', SEALDROP_KEY_FILE: '/run/sealdrop/totp.key' }).keyFile).toBe('/run/sealdrop/totp.key');
  });

  test.each([
    [{ SEALDROP_DAT: '/x' }, /Unknown setting SEALDROP_DAT/],
    [{ SEALDROP_SOURCE_PORT: 'eighty' }, /whole number/],
    [{ SEALDROP_SOURCE_PORT: '70000' }, /between/],
    [{ SEALDROP_PART_SIZE: '10' }, /between/],
    [{ SEALDROP_SOURCE_PORT: '9000', SEALDROP_JOURNALIST_PORT: '9000' }, /different ports/],
    [{ SEALDROP_HOST: 'a host; rm' }, /not a host/],
    [{ SEALDROP_JOURNALIST_HOST: '0.0.0.0' }, /not a loopback address.*SEALDROP_JOURNALIST_EXPOSED=1/],
    [{ SEALDROP_JOURNALIST_HOST: '192.168.1.5', SEALDROP_JOURNALIST_EXPOSED: 'yes' }, /must be 1 or 0/],
    [{ SEALDROP_TOR: '1', SEALDROP_HOST: '0.0.0.0' }, /clearnet mirror.*SEALDROP_ONION_LOCATION=1/],
    [{ SEALDROP_TOR: 'true' }, /must be 1 or 0/],
  ])('%j is refused at start-up', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
  });

  test('the journalist interface stays on loopback unless exposed on purpose; a clearnet mirror is declared', () => {
    const plain = loadConfig({ SEALDROP_HOST: '0.0.0.0' });
    expect([plain.host, plain.journalistHost, plain.tor, plain.onionLocation]).toEqual(['0.0.0.0', '127.0.0.1', false, false]);
    expect(loadConfig({ SEALDROP_JOURNALIST_HOST: '::1' }).journalistHost).toBe('::1');
    expect(loadConfig({ SEALDROP_JOURNALIST_HOST: '10.0.0.2', SEALDROP_JOURNALIST_EXPOSED: '1' }).journalistHost).toBe('10.0.0.2');
    const mirror = loadConfig({ SEALDROP_TOR: '1', SEALDROP_HOST: '0.0.0.0', SEALDROP_ONION_LOCATION: '1', SEALDROP_TOR_TORRC: 'extra.torrc' });
    expect([mirror.tor, mirror.onionLocation, mirror.torrcInclude]).toEqual([true, true, path.resolve('extra.torrc')]);
  });
});
