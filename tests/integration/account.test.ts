import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { movedText } from '../../server/notify/notice.ts';
import { sealdrop } from '../helpers/cli.ts';
import { makeGpgHome } from '../helpers/gpg.ts';
import { readMail } from '../helpers/notices.ts';
import { until } from '../helpers/pages.ts';
import { startSmtpSink } from '../helpers/smtp.ts';
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
    const res = await post({ email: ' jo@newsroom.example ', encrypt: '1', lock_minutes: '30', passphrase: jo.passphrase });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/account');
    expect(saved()).toEqual({ email: 'jo@newsroom.example', encrypt: true, lock: 30 });
    const page = await (await client.get('/account')).text();
    expect(page).toContain('<p class="notice" role="status">Your settings were saved.</p>');
    expect(page).toMatch(/value="jo@newsroom.example"/);
    expect(page).toMatch(/id="notify-encrypt" name="encrypt" value="1" checked>/);
    expect(page).toMatch(/<input id="account-passphrase" name="passphrase" type="password" autocomplete="current-password"[^>]*>/);
    expect(page).not.toContain(jo.passphrase);
    expect(page).toContain('data-lock-minutes="30"');
    expect(await (await client.get('/account')).text()).not.toContain('class="notice"');
  });

  test('an empty address turns notices off', async () => {
    expect((await post({ email: '', lock_minutes: '30', passphrase: jo.passphrase })).status).toBe(303);
    expect(saved()).toEqual({ email: null, encrypt: false, lock: 30 });
    expect((await post({ email: 'jo@newsroom.example', lock_minutes: '30', passphrase: jo.passphrase })).status).toBe(303);
  });

  test.each([
    ['a new address', { email: 'eve@evil.example', encrypt: '1' }],
    ['no address', { email: '', encrypt: '1' }],
    ['encryption off', { email: 'jo@newsroom.example' }],
  ])('%s needs the login passphrase: without it or with a wrong one, a 400 beside its field that saves nothing', async (_what, fields) => {
    expect((await post({ email: 'jo@newsroom.example', encrypt: '1', lock_minutes: '30', passphrase: jo.passphrase })).status).toBe(303);
    const before = saved();
    for (const passphrase of [undefined, '', 'eve guesses seven quiet harbours']) {
      const res = await post({ ...fields, lock_minutes: '40', ...(passphrase === undefined ? {} : { passphrase }) });
      expect(res.status).toBe(400);
      const page = await res.text();
      expect(/<p class="warning field-error" id="account-passphrase-error" role="alert">([^<]+)<\/p>/.exec(page)?.[1]).toBe('That is not your login passphrase, which changing the address or turning encryption off needs. Nothing was saved.');
      expect(page).toMatch(/id="account-passphrase"[^>]* aria-describedby="account-passphrase-error" aria-invalid="true">/);
      expect(page).toContain(`value="${fields.email}"`);
      if (passphrase) expect(page).not.toContain(passphrase);
      expect(saved()).toEqual(before);
    }
  });

  test('the same address with encryption turned on, or the auto-lock alone, needs no passphrase', async () => {
    expect((await post({ email: 'jo@newsroom.example', lock_minutes: '30', passphrase: jo.passphrase })).status).toBe(303);
    expect((await post({ email: 'jo@newsroom.example', encrypt: '1', lock_minutes: '30' })).status).toBe(303);
    expect((await post({ email: 'jo@newsroom.example', encrypt: '1', lock_minutes: '45' })).status).toBe(303);
    expect(saved()).toEqual({ email: 'jo@newsroom.example', encrypt: true, lock: 45 });
    expect((await post({ email: 'jo@newsroom.example', lock_minutes: '30', passphrase: jo.passphrase })).status).toBe(303);
  });

  test('wrong passphrases here count against the login throttle', async () => {
    const lu = await makeAccount(instance, 'lu');
    const c = new StaffClient(instance.journalistUrl);
    expect((await c.login('lu', lu.passphrase, lu.code())).status).toBe(303);
    await c.get('/account');
    const wrong = { csrf: c.csrf, email: 'eve@evil.example', lock_minutes: '15', passphrase: 'eve guesses seven quiet harbours' };
    for (let i = 0; i < 5; i++) expect((await c.post('/account', wrong)).status).toBe(400);
    const locked = await c.post('/account', { ...wrong, passphrase: lu.passphrase });
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/id="account-passphrase-error" role="alert">Too many failed attempts/);
    expect(instance.store.journalists.get('lu').notifyEmail).toBeNull();
    const login = new StaffClient(instance.journalistUrl);
    expect((await login.login('lu', lu.passphrase, lu.code(1))).status).toBe(429);
  });

  test.each([
    ['an address that is not one', { email: 'jo@newsroom', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['two addresses', { email: 'jo@newsroom.example, eve@evil.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['a header in the address', { email: 'jo@newsroom.example\r\nBcc: eve@evil.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    // nodemailer drops NUL and other controls: the mail would go to another address than the one checked.
    ['a NUL in the address', { email: 'jo\u0000@newsroom.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['a DEL in the address', { email: 'jo\u007f@newsroom.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
    ['a C1 control in the address', { email: 'jo\u0085@newsroom.example', lock_minutes: '20' }, 'notify-email', /not one mail address/],
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
      await c.get('/account');
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

describe('notices moved away from an address, and a reset', () => {
  test('the old address is told, once and in nothing but those words; the new one and a first address are not', async () => {
    const sink = await startSmtpSink();
    const other = await startInstance({ SEALDROP_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SEALDROP_NOTIFY_FROM: 'drop@newsroom.example' });
    try {
      const kim = await makeAccount(other, 'kim');
      const c = new StaffClient(other.journalistUrl);
      await c.login('kim', kim.passphrase, kim.code());
      await c.get('/account');
      const save = (email: string) => c.post('/account', { csrf: c.csrf, email, lock_minutes: '15', passphrase: kim.passphrase });
      expect((await save('kim@newsroom.example')).status).toBe(303); // a first address: nobody to tell
      expect((await save('kim@elsewhere.example')).status).toBe(303);
      await until(async () => (await sink.messages()).length >= 1, 10_000, 'the mail to the old address');
      expect((await save('')).status).toBe(303); // turned off: the last address is told too
      await until(async () => (await sink.messages()).length >= 2, 10_000, 'the mail to the last address');
      const mails = await sink.messages();
      expect(mails.map((m) => m.to)).toEqual([['kim@newsroom.example'], ['kim@elsewhere.example']]);
      for (const m of mails) {
        const mail = readMail(m.data);
        expect(mail.body).toBe(movedText().text);
        expect(mail.headers.subject).toBe('Notification');
        expect(mail.body).not.toContain('elsewhere');
      }
    } finally {
      await other.stop();
      await sink.stop();
    }
  });

  test('when notices were encrypted, so is the mail to the old address', async () => {
    const [sink, home] = await Promise.all([startSmtpSink(), makeGpgHome('kim')]);
    const other = await startInstance({ SEALDROP_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SEALDROP_NOTIFY_FROM: 'drop@newsroom.example' });
    const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-moved-'));
    try {
      const kim = await makeAccount(other, 'kim', { publicKey: await readFile(home.publicKeyFile, 'utf8') });
      other.store.journalists.setNotify(kim.id, { email: 'kim@newsroom.example', encrypt: true });
      const c = new StaffClient(other.journalistUrl);
      await c.login('kim', kim.passphrase, kim.code());
      await c.get('/account');
      expect((await c.post('/account', { csrf: c.csrf, email: 'kim@elsewhere.example', lock_minutes: '15', passphrase: kim.passphrase })).status).toBe(303);
      await until(async () => (await sink.messages()).length >= 1, 10_000, 'the mail to the old address');
      const mail = readMail((await sink.messages())[0]!.data);
      expect((await sink.messages())[0]!.to).toEqual(['kim@newsroom.example']);
      expect(mail.body).toMatch(/^-----BEGIN PGP MESSAGE-----/);
      await writeFile(path.join(dir, 'moved.asc'), mail.body);
      expect((await home.decrypt(path.join(dir, 'moved.asc'))).toString('utf8')).toBe(movedText().text);
    } finally {
      await other.stop();
      await Promise.all([sink.stop(), home.cleanup(), rm(dir, { recursive: true, force: true })]);
    }
  });

  test("an administrator's reset clears the journalist's notice address; enrolment keeps one set beforehand", async () => {
    const ada = await makeAccount(instance, 'ada', { isAdmin: true });
    const ivy = await makeAccount(instance, 'ivy');
    instance.store.journalists.setNotify(ivy.id, { email: 'ivy@newsroom.example', encrypt: true });
    const admin = new StaffClient(instance.journalistUrl);
    await admin.login('ada', ada.passphrase, ada.code());
    await admin.get('/admin');
    expect((await admin.post(`/admin/journalists/${ivy.id}/reset`, { csrf: admin.csrf })).status).toBe(200);
    expect(instance.store.journalists.get('ivy')).toMatchObject({ notifyEmail: null, notifyEncrypt: false });
    // What the administrator sets before the journalist enrols again stays through enrolment.
    instance.store.journalists.setNotify(ivy.id, { email: 'ivy@newsroom.example', encrypt: false });
    instance.store.journalists.setCredentials(ivy.id, { passwordHash: '$argon2id$stand-in', totpSecret: null });
    expect(instance.store.journalists.get('ivy').notifyEmail).toBe('ivy@newsroom.example');
  });
});
