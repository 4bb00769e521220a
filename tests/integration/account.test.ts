import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// The journalist's own account page (notices of new material, auto-lock) and the administrator's
// `sealdrop journalist notify`: both set the same columns; a refusal says why and saves nothing.
let instance: Instance;
let client: StaffClient;
let jo: Awaited<ReturnType<typeof makeAccount>>;
const saved = () => {
  const j = instance.store.journalists.get('jo');
  return { email: j.notifyEmail, encrypt: j.notifyEncrypt, lock: j.lockMinutes };
};
const post = (fields: Record<string, string>) => client.post('/account', { csrf: client.csrf, ...fields });

beforeAll(async () => {
  instance = await startInstance();
  jo = await makeAccount(instance, 'jo');
  client = new StaffClient(instance.journalistUrl);
  expect((await client.login('jo', jo.passphrase, jo.code())).status).toBe(303);
});
afterAll(() => instance?.stop());

describe('the account page', () => {
  test('shows the saved settings; says when this drop sends no mail', async () => {
    const page = await (await client.get('/account')).text();
    expect(page).toContain('<h1>Your account</h1>');
    expect(page).toMatch(/<input id="notify-email" name="email" type="email"[^>]* value="">/);
    expect(page).toMatch(/<input type="checkbox" id="notify-encrypt" name="encrypt" value="1">/);
    expect(page).toMatch(/<input id="lock-minutes" name="lock_minutes"[^>]* value="15">/);
    expect(page).toContain('id="mail-off"');
    expect(page).toContain('Notices by email are off on this drop');
    expect(page).toContain('Arrivals are gathered for 60 minutes');
    expect(page).toContain('<a href="/account">Account</a>');
  });

  test('saving stores the choice and the next page says it was saved, once', async () => {
    const res = await post({ email: ' jo@newsroom.example ', encrypt: '1', lock_minutes: '30' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(saved()).toEqual({ email: 'jo@newsroom.example', encrypt: true, lock: 30 });
    const page = await (await client.get('/account')).text();
    expect(page).toContain('<p class="notice" role="status">Your settings were saved.</p>');
    expect(page).toMatch(/value="jo@newsroom.example"/);
    expect(page).toMatch(/id="notify-encrypt" name="encrypt" value="1" checked>/);
    expect(page).toContain('data-lock-minutes="30"');
    expect(await (await client.get('/account')).text()).not.toContain('class="notice"');
  });

  test('an empty address turns notices off', async () => {
    expect((await post({ email: '', lock_minutes: '30' })).status).toBe(303);
    expect(saved()).toEqual({ email: null, encrypt: false, lock: 30 });
    expect((await post({ email: 'jo@newsroom.example', lock_minutes: '30' })).status).toBe(303);
  });

  test.each([
    ['an address that is not one', { email: 'jo@newsroom', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['two addresses', { email: 'jo@newsroom.example, eve@evil.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['a header in the address', { email: 'jo@newsroom.example\r\nBcc: eve@evil.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['zero minutes', { email: 'ana@newsroom.example', lock_minutes: '0' }, 'lock-minutes', /1 to 240/],
    ['241 minutes', { email: 'ana@newsroom.example', lock_minutes: '241' }, 'lock-minutes', /1 to 240/],
    ['words for minutes', { email: 'ana@newsroom.example', lock_minutes: 'ten' }, 'lock-minutes', /1 to 240/],
    ['a fraction', { email: 'ana@newsroom.example', lock_minutes: '1.5' }, 'lock-minutes', /1 to 240/],
    ['an odd encrypt value', { email: 'ana@newsroom.example', encrypt: 'yes', lock_minutes: '20' }, 'notify-encrypt', /on or off/],
  ])('%s: a 400 that says why beside the field, keeps what was typed and saves nothing', async (_what, fields, id, reason) => {
    const before = saved();
    const res = await post(fields);
    expect(res.status).toBe(400);
    const page = await res.text();
    const error = new RegExp(`<p class="warning field-error" id="${id}-error" role="alert">([^<]+)</p>`).exec(page);
    expect(error?.[1]).toMatch(reason);
    expect(error?.[1]).toContain('Nothing was saved.');
    expect(page).toMatch(new RegExp(`id="${id}"[^>]* aria-describedby="${id}-error" aria-invalid="true"`));
    const typed = fields.email.trim().replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
    expect(page).toContain(`value="${typed}"`);
    expect(page).toContain(`name="lock_minutes"`);
    expect(page).toMatch(new RegExp(`name="lock_minutes"[^>]* value="${fields.lock_minutes}"`));
    expect(saved()).toEqual(before);
  });

  test('a post without the CSRF token, or without a session, changes nothing', async () => {
    const before = saved();
    expect((await client.post('/account', { email: 'eve@evil.example', lock_minutes: '240' })).status).toBe(403);
    const stranger = new StaffClient(instance.journalistUrl);
    await stranger.get('/login');
    expect((await stranger.post('/account', { csrf: stranger.csrf, email: 'eve@evil.example', lock_minutes: '240' })).status).toBe(401);
    expect((await stranger.get('/account')).headers.get('location')).toBe('/login');
    expect(saved()).toEqual(before);
  });

  test('with a mail relay configured, the page does not say mail is off', async () => {
    const other = await startInstance({ SEALDROP_SMTP_URL: 'smtp://127.0.0.1:9', SEALDROP_NOTIFY_FROM: 'drop@newsroom.example', SEALDROP_NOTIFY_MINUTES: '15' });
    try {
      const kim = await makeAccount(other, 'kim');
      const c = new StaffClient(other.journalistUrl);
      await c.login('kim', kim.passphrase, kim.code());
      const page = await (await c.get('/account')).text();
      expect(page).not.toContain('id="mail-off"');
      expect(page).toContain('Arrivals are gathered for 15 minutes');
    } finally {
      await other.stop();
    }
  });
});

describe('sealdrop journalist notify', () => {
  const env = () => ({ SEALDROP_DATA: instance.config.dataDir });

  test('sets the address and encryption, and --off turns notices off', async () => {
    const on = await sealdrop(['journalist', 'notify', '--username', 'jo', '--email', 'desk@newsroom.example', '--encrypt'], env());
    expect(on.code, on.stderr).toBe(0);
    expect(on.stdout).toContain('jo is told of new material at desk@newsroom.example, encrypted to their own key');
    expect(on.stdout).toContain('SEALDROP_SMTP_URL is not set');
    expect(saved()).toMatchObject({ email: 'desk@newsroom.example', encrypt: true });
    const plain = await sealdrop(['journalist', 'notify', '--username', 'jo', '--email', 'jo@newsroom.example'], env());
    expect(plain.code).toBe(0);
    expect(saved()).toMatchObject({ email: 'jo@newsroom.example', encrypt: false });
    const off = await sealdrop(['journalist', 'notify', '--username', 'jo', '--off'], env());
    expect(off.code).toBe(0);
    expect(off.stdout).toContain('jo is no longer told of new material.');
    expect(saved()).toMatchObject({ email: null, encrypt: false });
  });

  test.each([
    [['--email', 'not-an-address'], /one plain mail address/],
    [['--email', 'jo@newsroom.example', '--off'], /--email ADDR .* or --off/],
    [['--encrypt'], /--email ADDR .* or --off/],
    [[], /--email ADDR .* or --off/],
  ])('%j is refused and changes nothing', async (args, reason) => {
    const before = saved();
    const r = await sealdrop(['journalist', 'notify', '--username', 'jo', ...args], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(reason);
    expect(saved()).toEqual(before);
  });

  test('an unknown journalist is named in the refusal', async () => {
    const r = await sealdrop(['journalist', 'notify', '--username', 'nobody', '--off'], env());
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nobody/);
  });
});
