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
  ])('%j is refused at start-up', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(pattern);
  });
});
