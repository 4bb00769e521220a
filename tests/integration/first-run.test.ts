import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import { translator } from '../../server/i18n/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// First run (issue 22): a refused setup form keeps what it may, and says what is wrong next to
// the field; the TOTP secret is grouped, labelled with the newsroom and the username, and stays
// the same under an already shown QR code; "account created" says what to do next. The secret
// belongs to the browser session that opened the link, not to the link: anyone else who opens it
// gets a new one and withdraws the first, whose browser is told (the security review of issue 22).
const PASSPHRASE = 'orchard lantern basalt quiver 42';
let instance: Instance;
let publicKey: string;
// The sessions' clock, moved on to expire them.
let skew = 0;

beforeAll(async () => {
  instance = await startInstance({}, { sessionClock: () => Date.now() + skew });
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

const ELSEWHERE = translator('en').text('staff.enrol.openedElsewhere');
/** The form-wide warning at the top of the page, if any. */
const warning = (html: string) => /<p class="warning" role="alert">([^<]*)<\/p>/.exec(html)?.[1];
const secretOf = (html: string) => shownSecret(html).replace(/ /g, '');
const reload = async (client: StaffClient) => (await client.get(setupPath())).text();

describe('the TOTP secret on the setup page', () => {
  test('is shown in groups of four, and a reload in the same browser shows the very same one, even after its session expired', async () => {
    const first = await opened();
    expect(shownSecret(first.html)).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(shownUri(first.html).searchParams.get('secret')).toBe(first.secret);
    expect(secretOf(await reload(first.client))).toBe(first.secret);
    // Half an hour idle: the session is gone, but the cookie the browser still sends names it.
    const cookie = first.client.cookie;
    skew += 31 * 60_000;
    const later = await reload(first.client);
    expect(first.client.cookie).not.toBe(cookie); // a new session…
    expect(secretOf(later)).toBe(first.secret); // …in the same browser, under the same QR code
    expect(warning(later)).toBeUndefined();
    // And that new session holds it: a wrong code is just a wrong code.
    const refused = await (await first.client.post(setupPath(), { csrf: first.client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: '000000', public_key: publicKey })).text();
    expect(refused).toContain('id="code-error"');
    expect(secretOf(refused)).toBe(first.secret);
  });

  test('another browser gets a new secret, which withdraws the first; the first is told on its next load and shown a new one', async () => {
    const a = await opened();
    const b = await opened();
    expect(b.secret).not.toBe(a.secret);
    expect(warning(b.html)).toBeUndefined();
    const told = await reload(a.client);
    expect(warning(told)).toBe(ELSEWHERE);
    expect([a.secret, b.secret]).not.toContain(secretOf(told));
    // Told once: it holds the new secret now, and a reload keeps it.
    const again = await reload(a.client);
    expect(warning(again)).toBeUndefined();
    expect(secretOf(again)).toBe(secretOf(told));
    // And b, whose secret a's load withdrew, is told in turn.
    expect(warning(await reload(b.client))).toBe(ELSEWHERE);
  });

  test("the first browser's submit with its old code is refused as opened elsewhere, and changes nothing", async () => {
    const a = await opened();
    const b = await opened();
    const path = setupPath();
    const res = await a.client.post(path, { csrf: a.client.csrf, username: 'desk', passphrase: PASSPHRASE, passphrase2: PASSPHRASE, code: totpCode(a.secret, currentStep()), public_key: publicKey });
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(warning(html)).toBe(ELSEWHERE);
    expect(html).not.toContain('field-error');
    expect([a.secret, b.secret]).not.toContain(secretOf(html));
    expect(instance.store.journalists.count()).toBe(0);
    expect(setupPath()).toBe(path);
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
  const PASS = 'meadow copper window sail 77';
  const enrolling = async (username: string) => {
    const j = await makeAccount(instance, username);
    instance.store.journalists.setCredentials(j.id, { passwordHash: null, totpSecret: null });
    return { id: j.id, link: `/enrol/${instance.store.journalists.createEnrolment(j.id)}` };
  };
  const open = async (link: string) => {
    const client = new StaffClient(instance.journalistUrl);
    const html = await (await client.get(link)).text();
    return { client, html, secret: secretOf(html) };
  };
  const submit = (c: StaffClient, link: string, secret: string) => c.post(link, { csrf: c.csrf, passphrase: PASS, passphrase2: PASS, code: totpCode(secret, currentStep()) });

  test('grouped secret, labelled with the newsroom and their username, the same on reload until used; a reset offers a new one', async () => {
    instance.store.settings.setBranding({ name: 'The Lantern', welcome: '', guidelines: '' });
    const kim = await enrolling('kim');
    const a = await open(kim.link);
    expect(shownSecret(a.html)).toMatch(/^([A-Z2-7]{4} ){7}[A-Z2-7]{4}$/);
    expect(decodeURIComponent(shownUri(a.html).pathname)).toBe('/The Lantern:kim');
    expect(secretOf(await (await a.client.get(kim.link)).text())).toBe(a.secret);
    expect((await submit(a.client, kim.link, a.secret)).status).toBe(200);
    expect(instance.store.journalists.credentials(kim.id).totpSecret).toBe(a.secret);
    // A new link (a reset) offers a new secret.
    const again = `/enrol/${instance.store.journalists.createEnrolment(kim.id)}`;
    expect((await open(again)).secret).not.toBe(a.secret);
  });

  test('whoever opened the link first (the administrator who made it, a copy of it) does not learn the secret the journalist enrols with', async () => {
    const lee = await enrolling('lee');
    const first = await open(lee.link); // someone who saw the link, noting the secret and waiting
    const journalist = await open(lee.link);
    expect(journalist.secret).not.toBe(first.secret);
    expect(warning(journalist.html)).toBeUndefined();
    expect((await submit(journalist.client, lee.link, journalist.secret)).status).toBe(200);
    expect(instance.store.journalists.credentials(lee.id).totpSecret).toBe(journalist.secret);
  });

  test("the first browser's submit with its old code is refused as opened elsewhere; nothing is stored and the link still works", async () => {
    const max = await enrolling('max');
    const first = await open(max.link);
    const second = await open(max.link);
    const res = await submit(first.client, max.link, first.secret);
    expect(res.status).toBe(400);
    const html = await res.text();
    expect(warning(html)).toBe(ELSEWHERE);
    expect([first.secret, second.secret]).not.toContain(secretOf(html));
    expect(instance.store.journalists.credentials(max.id)).toMatchObject({ passwordHash: null, totpSecret: null });
    expect(instance.store.journalists.enrolmentFor(max.link.slice('/enrol/'.length)).id).toBe(max.id);
    // The refused browser now holds the secret it was shown; the link, still unused, enrols with it alone.
    expect((await submit(first.client, max.link, secretOf(html))).status).toBe(200);
    expect(instance.store.journalists.credentials(max.id).totpSecret).toBe(secretOf(html));
  });
});
