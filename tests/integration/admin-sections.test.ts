import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { pngChunk, pngFile, rgbaIdat } from '../helpers/png.ts';

// The admin area in sections (issue 22): each section its own page with the section nav, a
// notice after every save, and a removal that asks once, naming the journalist.
const SMTP_PASSWORD = 'relay-pass-6f1c';
const HOOK_TOKEN = 'hook-token-93ab';
let instance: Instance;
let admin: Awaited<ReturnType<typeof makeAccount>>;
let session: StaffClient;

beforeAll(async () => {
  instance = await startInstance({
    SEALDROP_SMTP_URL: `smtp://mailer:${SMTP_PASSWORD}@127.0.0.1:2525`,
    SEALDROP_NOTIFY_FROM: 'drop@example.org',
    SEALDROP_NOTIFY_WEBHOOK: `https://hooks.example.org/notify?token=${HOOK_TOKEN}`,
    SEALDROP_NOTIFY_MINUTES: '45',
  });
  admin = await makeAccount(instance, 'root', { isAdmin: true });
  session = new StaffClient(instance.journalistUrl);
  expect((await session.login('root', admin.passphrase, admin.code())).status).toBe(303);
  await session.get('/admin');
});
afterAll(() => instance?.stop());

const page = async (path: string) => {
  const res = await session.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
};
/** The notice the next page shows once, as text. */
const ENTITIES: Record<string, string> = { '&#39;': "'", '&quot;': '"', '&lt;': '<', '&gt;': '>', '&amp;': '&' };
const noticeOn = (html: string) => /<p class="notice" role="status">([\s\S]*?)<\/p>/.exec(html)?.[1]?.replace(/<[^>]+>/g, '').replace(/&#39;|&quot;|&lt;|&gt;|&amp;/g, (e) => ENTITIES[e]!) ?? null;
/** POSTs a form, follows its 303 and returns the notice shown there (and that it is shown once). */
async function saved(path: string, fields: Record<string, string>, back: string): Promise<string | null> {
  const res = await session.post(path, { csrf: session.csrf, ...fields });
  expect(res.status, path).toBe(303);
  expect(res.headers.get('location')).toBe(back);
  const shown = noticeOn(await page(back));
  expect(noticeOn(await page(back))).toBeNull(); // once
  return shown;
}

describe('sections', () => {
  test.each([
    ['/admin', 'journalists', 'Journalists'],
    ['/admin/journalists', 'journalists', 'Journalists'],
    ['/admin/retention', 'retention', 'Retention'],
    ['/admin/branding', 'branding', 'Your newsroom on the source page'],
    ['/admin/notifications', 'notifications', 'Notices of new material'],
    ['/admin/address', 'address', 'The address for sources'],
  ])('%s has its own page: the section nav (this one current) and its heading', async (path, section, heading) => {
    const html = await page(path);
    expect(html).toMatch(/<nav class="admin-sections" aria-label="Admin sections">/);
    for (const s of ['journalists', 'retention', 'branding', 'notifications', 'address']) expect(html).toContain(`href="/admin/${s}"`);
    expect(html).toContain(`<a href="/admin/${section}" aria-current="page">`);
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
    expect(html).toContain(`<h1>${heading}</h1>`);
  });

  test('each form lives in its own section', async () => {
    expect(await page('/admin/retention')).toContain('action="/admin/retention"');
    expect(await page('/admin/journalists')).not.toContain('action="/admin/retention"');
    expect(await page('/admin/branding')).toContain('id="brand-name"');
    expect(await page('/admin/journalists')).not.toContain('id="brand-name"');
  });

  test('notifications: the relay host, whether a webhook is set and the window, never credentials, the webhook or addresses', async () => {
    const kim = await makeAccount(instance, 'kim');
    instance.store.journalists.setNotify(kim.id, { email: 'kim.private@example.net', encrypt: false });
    const html = await page('/admin/notifications');
    expect(html).toContain('Mail: on, through the relay at <bdi>127.0.0.1</bdi>.');
    expect(html).toContain('Webhook: set.');
    expect(html).toContain('Window: 45 minutes.');
    expect(html).toMatch(/<ul id="notify-recipients"><li><bdi>kim<\/bdi><\/li><\/ul>/);
    for (const secret of [SMTP_PASSWORD, 'mailer', HOOK_TOKEN, 'hooks.example.org', 'kim.private', 'example.net']) expect(html).not.toContain(secret);
    instance.store.journalists.remove('kim');
  });

  test('without an onion service the address section shows the source listener, as text and as a QR code', async () => {
    const html = await page('/admin/address');
    expect(html).toContain(`<code id="source-onion" class="onion-address" dir="ltr">${instance.sourceUrl}/</code>`);
    expect(html).toMatch(/<figure class="qr"><svg role="img" aria-label="QR code of the address for sources"/);
  });
});

describe('a notice after every save', () => {
  test('retention', async () => {
    expect(await saved('/admin/retention', { days: '10' }, '/admin/retention')).toBe('Retention saved: submissions and replies are deleted after 10 days.');
    expect(await saved('/admin/retention', { days: '' }, '/admin/retention')).toBe("Retention saved: the server's setting applies.");
  });

  test('branding texts, default and per language, and the logo', async () => {
    const texts = { name: 'The Lantern', welcome: '', guidelines: '' };
    expect(await saved('/admin/branding', { ...texts, lang: 'en' }, '/admin/branding')).toBe('The default texts are saved; sources see them now.');
    expect(await saved('/admin/branding', { ...texts, lang: 'zh-Hant' }, '/admin/branding')).toBe('The texts in 繁體中文 are saved; sources see them now.');
    const form = new FormData();
    const rgba = Buffer.alloc(4 * 4 * 4, 0x80);
    form.append('logo', new Blob([new Uint8Array(pngFile({ width: 4, height: 4 }, pngChunk('IDAT', rgbaIdat(4, rgba))))]), 'logo.png');
    const headers = { cookie: session.cookie, 'sec-fetch-site': 'same-origin' };
    const up = await fetch(`${instance.journalistUrl}/admin/branding/logo?csrf=${encodeURIComponent(session.csrf)}`, { method: 'POST', body: form, headers, redirect: 'manual' });
    expect(up.status).toBe(303);
    expect(noticeOn(await page('/admin/branding'))).toBe('The logo is saved; sources see it now.');
    expect(await saved('/admin/branding/logo/remove', {}, '/admin/branding')).toBe('The logo is removed.');
  });

  test('journalists: add and reset show their link with what was done; disable, enable and replace key say so', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Ivy' });
    const added = await (await session.post('/admin/journalists', { csrf: session.csrf, username: 'ivy', public_key: publicKey })).text();
    expect(added).toContain('Added ivy; new submissions are encrypted to their key too.');
    const ivy = instance.store.journalists.get('ivy');
    const reset = await (await session.post(`/admin/journalists/${ivy.id}/reset`, { csrf: session.csrf })).text();
    expect(reset).toContain('passphrase and two-factor code are cleared');
    await page('/admin');
    expect(await saved(`/admin/journalists/${ivy.id}/disable`, {}, '/admin/journalists')).toBe('Disabled ivy: they are logged out and new submissions are no longer encrypted to their key.');
    expect(await saved(`/admin/journalists/${ivy.id}/enable`, {}, '/admin/journalists')).toBe('Enabled ivy: new submissions are encrypted to their key again.');
    const next = await generateKeyPair({ name: 'Ivy 2' });
    const fingerprint = (await readJournalistKey(next.publicKey)).fingerprint;
    expect(await saved(`/admin/journalists/${ivy.id}/key`, { public_key: next.publicKey }, '/admin/journalists')).toBe(`Replaced ivy's key: new submissions are encrypted to ${fingerprint}; older ones stay readable with the old key.`);
  });
});

describe('removing a journalist', () => {
  test('the journalists page sets disable and remove apart, styled as destructive; remove is only a way to the question', async () => {
    const lee = await makeAccount(instance, 'lee');
    const html = await page('/admin/journalists');
    const block = new RegExp(`<li class="journalist" id="journalist-${lee.id}">[\\s\\S]*?</li>`).exec(html)![0];
    const danger = /<p class="journalist-danger">([\s\S]*?)<\/p>/.exec(block)![1]!;
    expect(danger).toContain(`<form method="post" action="/admin/journalists/${lee.id}/disable" class="inline">`);
    expect(danger).toContain(`<form method="get" action="/admin/journalists/${lee.id}/remove" class="inline"><button type="submit" class="danger">Remove</button>`);
    expect(danger.match(/class="danger"/g)).toHaveLength(2);
    expect(/<p class="journalist-actions">([\s\S]*?)<\/p>/.exec(block)![1]).not.toContain('danger');
    // Nobody is offered to remove or disable themselves.
    const own = new RegExp(`<li class="journalist" id="journalist-${admin.id}">[\\s\\S]*?</li>`).exec(html)![0];
    expect(own).not.toContain('journalist-danger');
    instance.store.journalists.remove('lee');
  });

  test('asks once, naming username and fingerprint; removes only once confirmed, then says so', async () => {
    const mo = await makeAccount(instance, 'mo');
    const question = await page(`/admin/journalists/${mo.id}/remove`);
    expect(question).toContain('<h1>Remove mo?</h1>');
    expect(question).toContain(`<li>mo, key ${mo.fingerprint}</li>`);
    expect(question).toContain(`<form method="post" action="/admin/journalists/${mo.id}/remove" class="confirmation">`);
    expect(question).toMatch(/<p class="confirm-danger"><button type="submit" id="confirm" class="danger">Remove mo<\/button><\/p>/);
    expect(question).toContain('<a href="/admin/journalists" id="cancel">');
    expect(instance.store.journalists.list().map((j) => j.username)).toContain('mo'); // asking removed nothing
    expect(await saved(`/admin/journalists/${mo.id}/remove`, {}, '/admin/journalists')).toBe(`Removed mo (key ${mo.fingerprint}): new submissions are no longer encrypted to their key.`);
    expect(instance.store.journalists.list().map((j) => j.username)).not.toContain('mo');
    expect((await session.get(`/admin/journalists/${admin.id}/remove`)).status).toBe(409); // not oneself
  });
});
