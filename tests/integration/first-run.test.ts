import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// First run (issue 22): a refused setup form keeps what it may, and says what is wrong next to
// the field; the TOTP secret is grouped, labelled with the newsroom and the username, and stays
// the same under an already shown QR code; "account created" says what to do next.
const PASSPHRASE = 'orchard lantern basalt quiver 42';
let instance: Instance;
let publicKey: string;

beforeAll(async () => {
  instance = await startInstance();
  publicKey = (await generateKeyPair({ name: 'Desk' })).publicKey;
});
afterAll(() => instance?.stop());

const setupPath = () => instance.running.setupPath!;
const shownSecret = (html: string) => /<code id="totp-secret" class="totp-secret" dir="ltr">([A-Z2-7 ]+)<\/code>/.exec(html)![1]!;
const shownUri = (html: string) => new URL(/<p class="hint otpauth-uri" dir="ltr" id="totp-uri">([^<]+)<\/p>/.exec(html)![1]!.replace(/&amp;/g, '&'));
const unescape = (s: string) => s.replace(/&#39;/g, "'").replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

async function opened(): Promise<{ client: StaffClient; html: string; secret: string }> {
  const client = new StaffClient(instance.journalistUrl);
  const html = await (await client.get(setupPath())).text();
  return { client, html, secret: shownSecret(html).replace(/ /g, '') };
}

describe('the TOTP secret on the setup page', () => {
  test('is shown in groups of four, and a reload (or another tab, or a lost cookie) shows the very same one', async () => {
    const first = await opened();
    expect(shownSecret(first.html)).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(shownUri(first.html).searchParams.get('secret')).toBe(first.secret);
    const reload = await (await first.client.get(setupPath())).text();
    expect(shownSecret(reload).replace(/ /g, '')).toBe(first.secret);
    expect((await opened()).secret).toBe(first.secret);
  });

  test('the authenticator label is the newsroom name (else Sealdrop) and the username typed', async () => {
    const { client, html, secret } = await opened();
    expect(shownUri(html).pathname).toBe('/Sealdrop:administrator'); // no username typed yet: the page script redraws it as one is
    expect(html).toMatch(/<div class="qr" id="totp-qr" data-secret="[A-Z2-7]{32}" data-issuer="">/);
    instance.store.settings.setBranding({ name: 'The Daily: Lantern', welcome: '', guidelines: '' });
    try {
      const refused = await (await client.post(setupPath(), { csrf: client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: '000000', public_key: publicKey })).text();
      const uri = shownUri(refused);
      expect(uri.searchParams.get('issuer')).toBe('The Daily Lantern');
      expect(decodeURIComponent(uri.pathname)).toBe('/The Daily Lantern:desk');
      expect(uri.searchParams.get('secret')).toBe(secret);
      expect(refused).toContain('data-issuer="The Daily: Lantern"');
    } finally {
      instance.store.settings.setBranding({ name: '', welcome: '', guidelines: '' });
    }
  });
});

describe('a refused setup form', () => {
  const field = (html: string, id: string) => new RegExp(`<(?:input|textarea) id="${id}"[^>]*>`).exec(html)![0];
  test.each([
    ['username', { username: 'Not A Name!' }, 'The username may hold lower-case letters'],
    ['passphrase2', { passphrase2: `${PASSPHRASE}x` }, 'The two passphrases differ.'],
    ['code', { code: '000000' }, 'That code does not match'],
    ['passphrase', { passphrase: 'password1234567', passphrase2: 'password1234567' }, ''],
    ['public_key', { public_key: 'not a key at all' }, 'This is not an OpenPGP public key.'],
  ])('about %s: keeps the username and the key, never a passphrase; the error sits next to that field and describes it', async (id, change, words) => {
    const { client } = await opened();
    const form = { csrf: client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: '000000', public_key: publicKey, ...change };
    const res = await client.post(setupPath(), form);
    expect(res.status).toBe(400);
    const html = await res.text();
    const error = new RegExp(`<p class="warning field-error" id="${id}-error" role="alert">([^<]*)</p>`).exec(html);
    expect(error, id).not.toBeNull();
    expect(unescape(error![1]!)).toContain(words);
    expect(html.match(/field-error/g)).toHaveLength(1);
    // Right after its field, and the field points at it.
    expect(html).toMatch(new RegExp(`<(input|textarea) id="${id}"[^>]*aria-describedby="${id}-error" aria-invalid="true"[^>]*>([^<]*</textarea>)?(</p>)?\\s*<p class="warning field-error" id="${id}-error"`, 's'));
    expect(field(html, 'username')).toContain(`value="${form.username}"`);
    expect(unescape(/<textarea id="public_key"[^>]*>([^<]*)<\/textarea>/.exec(html)![1]!)).toBe(form.public_key);
    for (const p of [form.passphrase, form.passphrase2]) expect(html).not.toContain(p);
    expect(instance.store.journalists.count()).toBe(0);
  });

  test('a pasted private key is never sent back', async () => {
    const { privateKey } = await generateKeyPair({ name: 'Oops', passphrase: 'a long key passphrase' });
    const { client } = await opened();
    const html = await (await client.post(setupPath(), { csrf: client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: '000000', public_key: privateKey })).text();
    expect(html).toContain('id="public_key-error"');
    expect(html).not.toContain('PRIVATE KEY');
    expect(field(html, 'username')).toContain('value="desk"');
  });
});

describe('the account is made', () => {
  test('"account created" says what to do next, with links: log in, colleagues, branding, the source address', async () => {
    const { client, secret } = await opened();
    const res = await client.post(setupPath(), { csrf: client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: totpCode(secret, currentStep()), public_key: publicKey });
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toContain('<h1>Account created</h1>');
    const steps = /<ol class="next-steps">([\s\S]*?)<\/ol>/.exec(html)![1]!;
    expect([...steps.matchAll(/<a href="([^"]+)">/g)].map((m) => m[1])).toEqual(['/login', '/admin/journalists', '/admin/branding', '/admin/address']);
    expect(steps).toContain('Add your colleagues');
    expect(steps).toContain('Find the address to give sources');
    expect(instance.running.setupPath).toBeNull();
  });
});

describe("a colleague's enrolment", () => {
  test('grouped secret, labelled with the newsroom and their username, the same on reload until used', async () => {
    instance.store.settings.setBranding({ name: 'The Lantern', welcome: '', guidelines: '' });
    const kim = await makeAccount(instance, 'kim');
    instance.store.journalists.setCredentials(kim.id, { passwordHash: null, totpSecret: null });
    const link = `/enrol/${instance.store.journalists.createEnrolment(kim.id)}`;
    const a = await (await new StaffClient(instance.journalistUrl).get(link)).text();
    const b = await (await new StaffClient(instance.journalistUrl).get(link)).text();
    expect(shownSecret(a)).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(shownSecret(b)).toBe(shownSecret(a));
    expect(decodeURIComponent(shownUri(a).pathname)).toBe('/The Lantern:kim');
    const c = new StaffClient(instance.journalistUrl);
    await c.get(link);
    const secret = shownSecret(a).replace(/ /g, '');
    expect((await c.post(link, { csrf: c.csrf, passphrase: 'meadow copper window sail 77', passphrase2: 'meadow copper window sail 77', code: totpCode(secret, currentStep()) })).status).toBe(200);
    expect(instance.store.journalists.credentials(kim.id).totpSecret).toBe(secret);
    // A new link (a reset) offers a new secret.
    const again = `/enrol/${instance.store.journalists.createEnrolment(kim.id)}`;
    expect(shownSecret(await (await new StaffClient(instance.journalistUrl).get(again)).text())).not.toBe(shownSecret(a));
  });
});
