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

  describe('notices of new material', () => {
    const mail = { SEALDROP_NOTIFY_FROM: 'drop@example.org' };

    test('off unless set; the window defaults to 60 minutes', () => {
      expect(loadConfig({}).notify).toEqual({ smtp: null, from: null, webhook: null, windowMinutes: 60, subject: null });
      expect(loadConfig({ SEALDROP_NOTIFY_MINUTES: '5' }).notify.windowMinutes).toBe(5);
    });

    test('TLS follows from the scheme and the host: implicit, STARTTLS required, or plain only on loopback', () => {
      const at = (url: string) => loadConfig({ ...mail, SEALDROP_SMTP_URL: url }).notify.smtp!;
      expect(at('smtps://relay.example.org')).toMatchObject({ host: 'relay.example.org', port: 465, secure: true, requireTLS: false, ignoreTLS: false, auth: null });
      expect(at('smtp://u%40x:p%3Ass@relay.example.org:2525')).toMatchObject({ port: 2525, secure: false, requireTLS: true, ignoreTLS: false, auth: { user: 'u@x', pass: 'p:ss' } });
      expect(at('smtp://192.0.2.7')).toMatchObject({ port: 587, requireTLS: true });
      expect(at('smtp://127.0.0.1:25')).toMatchObject({ port: 25, secure: false, requireTLS: false, ignoreTLS: true });
      expect(at('smtp://[::1]:25')).toMatchObject({ host: '::1', ignoreTLS: true });
      expect(at('smtp://localhost:25')).toMatchObject({ ignoreTLS: true });
    });

    test('a webhook is https, or http to loopback', () => {
      expect(loadConfig({ SEALDROP_NOTIFY_WEBHOOK: 'https://ntfy.example.org/newsroom-drop' }).notify.webhook).toBe('https://ntfy.example.org/newsroom-drop');
      expect(loadConfig({ SEALDROP_NOTIFY_WEBHOOK: 'http://127.0.0.1:9000/hook?token=abc' }).notify.webhook).toBe('http://127.0.0.1:9000/hook?token=abc');
    });

    test.each([
      [{ ...mail, SEALDROP_SMTP_URL: 'smtp://relay.example.org/?ignoreTLS=true' }, /takes no path or options/],
      [{ ...mail, SEALDROP_SMTP_URL: 'smtp://relay.example.org:25/?secure=false&requireTLS=false' }, /takes no path or options/],
      [{ ...mail, SEALDROP_SMTP_URL: 'http://relay.example.org' }, /must start with smtps:\/\/ .* or smtp:\/\//],
      [{ ...mail, SEALDROP_SMTP_URL: 'relay.example.org:25' }, /SEALDROP_SMTP_URL/],
      [{ SEALDROP_SMTP_URL: 'smtps://relay.example.org' }, /SEALDROP_NOTIFY_FROM is not/],
      [{ ...mail }, /SEALDROP_SMTP_URL is not/],
      [{ SEALDROP_SMTP_URL: 'smtps://relay.example.org', SEALDROP_NOTIFY_FROM: 'Drop <drop@example.org>' }, /one plain mail address/],
      [{ SEALDROP_NOTIFY_WEBHOOK: 'http://ntfy.example.org/topic' }, /https:\/\/ address \(http:\/\/ only to a receiver on loopback\)/],
      [{ SEALDROP_NOTIFY_WEBHOOK: 'ftp://127.0.0.1/x' }, /https:\/\//],
      [{ SEALDROP_NOTIFY_WEBHOOK: 'https://user:secret@hooks.example.org/x' }, /user name or password/],
      [{ SEALDROP_NOTIFY_MINUTES: '0' }, /1 to 1440/],
      [{ SEALDROP_NOTIFY_MINUTES: '1.5' }, /1 to 1440/],
      [{ SEALDROP_NOTIFY_MINUTES: '1441' }, /1 to 1440/],
    ])('%j is refused at start-up', (env, pattern) => {
      expect(() => loadConfig(env)).toThrow(ConfigError);
      expect(() => loadConfig(env)).toThrow(pattern);
    });

    test('a refusal never quotes the relay URL, which may hold its password', () => {
      expect(() => loadConfig({ ...mail, SEALDROP_SMTP_URL: 'smtp://user:hunter2@relay.example.org/?x=1' })).toThrow(/^(?!.*hunter2)/s);
      expect(() => loadConfig({ SEALDROP_NOTIFY_WEBHOOK: 'http://ntfy.example.org/secret-topic' })).toThrow(/^(?!.*secret-topic)/s);
    });
  });
});
