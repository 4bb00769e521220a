import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { Sessions, SessionsFullError } from '../../server/auth/sessions.ts';
import { Throttle } from '../../server/auth/throttle.ts';
import { matchingStep, totpCode } from '../../server/auth/totp.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Threat: someone who is not a current journalist reads or deletes submissions, through guessing,
// replay, a planted session, a forged cross-site request, or a stale account.
let instance: Instance;
let alice: Awaited<ReturnType<typeof makeAccount>>;
const client = () => new StaffClient(instance.journalistUrl);

beforeAll(async () => {
  instance = await startInstance();
  alice = await makeAccount(instance, 'alice', { isAdmin: true });
});
afterAll(() => instance?.stop());

const loggedIn = async (c: StaffClient) => (await c.get('/')).status === 200;

describe('login', () => {
  test('the right passphrase and a fresh code let a journalist in, with a rotated HttpOnly __Host- cookie', async () => {
    const c = client();
    await c.get('/login');
    const before = c.cookie;
    const res = await c.post('/login', { csrf: c.csrf, username: 'alice', passphrase: alice.passphrase, code: alice.code() });
    expect(res.status).toBe(303);
    expect(res.headers.get('set-cookie')).toMatch(/^__Host-sealdrop=[\w-]{43}; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
    expect(c.cookie).not.toBe(before);
    expect(await loggedIn(c)).toBe(true);
  });

  test('a replayed code is refused even with the right passphrase', async () => {
    const bob = await makeAccount(instance, 'bob');
    const code = bob.code();
    expect((await client().login('bob', bob.passphrase, code)).status).toBe(303);
    const again = client();
    expect((await again.login('bob', bob.passphrase, code)).status).toBe(401);
    expect(await loggedIn(again)).toBe(false);
  });

  test.each([
    ['a wrong code', (a: typeof alice) => ({ passphrase: a.passphrase, code: totpCode(a.secret, 1) })],
    ['a wrong passphrase', (a: typeof alice) => ({ passphrase: 'not the passphrase at all', code: a.code() })],
  ])('%s is refused with the same message as an unknown user', async (_label, creds) => {
    const carol = await makeAccount(instance, `carol${Math.random().toString(36).slice(2, 6)}`);
    const c = client();
    const res = await c.login(carol.username, creds(carol).passphrase, creds(carol).code);
    expect(res.status).toBe(401);
    expect(await res.text()).toContain('Wrong username, passphrase or code.');
    const unknown = await client().login('nobody-here', 'whatever passphrase', '123456');
    expect(unknown.status).toBe(401);
    expect(await unknown.text()).toContain('Wrong username, passphrase or code.');
    expect(await loggedIn(c)).toBe(false);
  });

  test('after five failures the account is locked, even for the right credentials', async () => {
    const dave = await makeAccount(instance, 'dave');
    for (let i = 0; i < 5; i++) expect((await client().login('dave', 'wrong wrong wrong wrong', '000000')).status).toBe(401);
    const res = await client().login('dave', dave.passphrase, dave.code());
    expect(res.status).toBe(429);
    expect(await res.text()).toMatch(/Too many failed attempts/);
  });

  test('the global throttle holds across accounts', () => {
    const t = new Throttle({ perAccount: 5, global: 3, windowMs: 60_000, lockMs: 60_000 });
    ['a', 'b', 'c'].forEach((u) => t.fail(u, 1000));
    expect(t.waitFor('fresh-account', 2000)).toBeGreaterThan(0);
    expect(t.waitFor('fresh-account', 62_000)).toBe(0);
  });

  test('parallel guesses cannot slip past the per-account limit', async () => {
    const ivy = await makeAccount(instance, 'ivy');
    const tries = await Promise.all(Array.from({ length: 20 }, () => client().login('ivy', 'wrong wrong wrong wrong', '000000').then((r) => r.status)));
    expect(tries.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect((await client().login('ivy', ivy.passphrase, ivy.code())).status).toBe(429);
  });

  test('a disabled journalist cannot log in, and their sessions end', async () => {
    const erin = await makeAccount(instance, 'erin');
    const c = client();
    expect((await c.login('erin', erin.passphrase, erin.code())).status).toBe(303);
    expect(await loggedIn(c)).toBe(true);
    instance.store.journalists.setActive(erin.id, false);
    expect(await loggedIn(c)).toBe(false);
    expect((await client().login('erin', erin.passphrase, erin.code(1))).status).toBe(401);
  });
});

describe('sessions', () => {
  test('session fixation: a cookie obtained before login is worthless after it', async () => {
    const c = client();
    await c.get('/login');
    const planted = c.cookie;
    expect((await c.post('/login', { csrf: c.csrf, username: 'alice', passphrase: alice.passphrase, code: alice.code(1) })).status).toBe(303);
    const attacker = client();
    attacker.cookie = planted;
    expect(await loggedIn(attacker)).toBe(false);
  });

  test('logout kills the session on the server', async () => {
    const c = client();
    await makeAccount(instance, 'frank').then((f) => c.login('frank', f.passphrase, f.code()));
    const token = c.cookie;
    await c.get('/');
    expect((await c.post('/logout', { csrf: c.csrf })).status).toBe(303);
    const replay = client();
    replay.cookie = token;
    expect(await loggedIn(replay)).toBe(false);
  });

  test('an idle session is refused by the running server at the production idle window, not before', async () => {
    // The sessions' clock is moved, not waited on: the production 30-minute window, with no race
    // between a loaded machine's slowness and a short test window.
    let skewMs = 0;
    const clocked = await startInstance({}, { sessionClock: () => Date.now() + skewMs });
    try {
      const ann = await makeAccount(clocked, 'ann');
      const c = new StaffClient(clocked.journalistUrl);
      expect((await c.login('ann', ann.passphrase, ann.code())).status).toBe(303);
      expect((await c.get('/')).status).toBe(200);
      skewMs += 29 * 60_000; // a minute short of the window: still in, and this visit counts as activity
      expect((await c.get('/')).status).toBe(200);
      skewMs += 30 * 60_000 + 1_000; // just past the window since that visit
      const res = await c.get('/');
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe('/login');
    } finally {
      await clocked.stop();
    }
  });

  test('a flood of anonymous sessions never pushes out a logged-in journalist', () => {
    const s = new Sessions();
    const { token } = s.create(7);
    for (let i = 0; i < 10_000; i++) s.create(null);
    expect(s.get(token)?.journalistId).toBe(7);
    const full = new Sessions();
    for (let i = 0; i < 10_000; i++) full.create(i + 1);
    expect(() => full.create(null)).toThrow(SessionsFullError);
  });

  test('idle and absolute timeouts expire sessions', () => {
    const s = new Sessions({ idleMs: 1000, absoluteMs: 5000 });
    const { token } = s.create(1, 0);
    expect(s.get(token, 900)).not.toBeNull();
    expect(s.get(token, 2500)).toBeNull(); // idle too long
    const second = s.create(1, 0).token;
    for (let t = 800; t < 5000; t += 800) expect(s.get(second, t)).not.toBeNull();
    expect(s.get(second, 5200)).toBeNull(); // absolute limit, however active
  });
});

describe('CSRF', () => {
  test('a state change without the token, with a wrong one, or from another site is refused', async () => {
    const victim = await makeAccount(instance, 'grace');
    const c = client();
    await c.login('grace', victim.passphrase, victim.code());
    await c.get('/');
    expect((await c.post('/logout', {})).status).toBe(403);
    expect((await c.post('/logout', { csrf: 'x'.repeat(43) })).status).toBe(403);
    expect((await c.post('/logout', { csrf: c.csrf }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    // Without Sec-Fetch-Site (older browsers), the Origin header decides.
    expect((await c.post('/logout', { csrf: c.csrf }, { 'sec-fetch-site': '', origin: 'http://evil.example' })).status).toBe(403);
    expect((await c.post('/logout', { csrf: c.csrf }, { 'sec-fetch-site': '', origin: 'null' })).status).toBe(403);
    expect(await loggedIn(c)).toBe(true);
  });
});

describe('every journalist route needs a current journalist', () => {
  const routes: [string, string][] = [
    ['GET', '/'], ['GET', '/admin'], ['GET', `/submissions/${'a'.repeat(32)}/manifest.pgp`], ['GET', `/submissions/${'a'.repeat(32)}/part-00001.pgp`],
    ['GET', `/submissions/${'a'.repeat(32)}/delete`], ['GET', `/sources/${'a'.repeat(32)}/delete`], ['POST', `/submissions/${'a'.repeat(32)}/seen`],
    ['POST', `/submissions/${'a'.repeat(32)}/delete`], ['POST', `/sources/${'a'.repeat(32)}/delete`], ['POST', '/admin/journalists'], ['POST', '/admin/journalists/1/disable'],
    ['POST', `/sources/${'a'.repeat(32)}/star`], ['GET', `/sources/${'a'.repeat(32)}/keys`], ['POST', `/sources/${'a'.repeat(32)}/replies`], ['GET', `/replies/${'a'.repeat(32)}.pgp`],
  ];
  test.each(routes)('%s %s without a session', async (method, route) => {
    const c = client();
    await c.get('/login'); // an anonymous session with a valid CSRF token: still not a journalist
    const res = method === 'GET' ? await c.get(route) : await c.post(route, { csrf: c.csrf });
    expect([303, 401]).toContain(res.status);
    if (res.status === 303) expect(res.headers.get('location')).toBe('/login');
  });

  test('a logged-in journalist gets a real 404 for an unknown address', async () => {
    const kim = await makeAccount(instance, 'kim');
    const c = client();
    expect((await c.login('kim', kim.passphrase, kim.code())).status).toBe(303);
    expect((await c.get('/api/config')).status).toBe(404);
    expect((await c.get('/submit')).status).toBe(404);
  });

  test('admin routes refuse a journalist who is not an administrator', async () => {
    const h = await makeAccount(instance, 'heidi');
    const c = client();
    await c.login('heidi', h.passphrase, h.code());
    await c.get('/');
    expect((await c.get('/admin')).status).toBe(403);
    expect((await c.post('/admin/journalists/1/disable', { csrf: c.csrf })).status).toBe(403);
    expect(instance.store.journalists.byId(1).active).toBe(true);
  });
});

describe('the two listeners are separate', () => {
  test.each(['/admin', '/setup/x', '/enrol/x', `/submissions/${'a'.repeat(32)}/manifest.pgp`, `/replies/${'a'.repeat(32)}.pgp`, `/sources/${'a'.repeat(32)}/keys`])('the source listener has no %s', async (route) => {
    expect((await fetch(`${instance.sourceUrl}${route}`, { redirect: 'manual' })).status).toBe(404);
  });

  test("the source listener's /login is the codename login, not the staff login", async () => {
    const page = await (await fetch(`${instance.sourceUrl}/login`)).text();
    expect(page).toContain('codename');
    expect(page).not.toMatch(/authenticator|passphrase/i);
    const post = await fetch(`${instance.sourceUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'username=alice&passphrase=x&code=1' });
    expect(post.status).toBe(400);
  });
  test.each([['GET', '/api/config'], ['POST', '/submit'], ['POST', '/api/submissions'], ['GET', '/sent']])('the journalist listener has no %s %s', async (method, route) => {
    const res = await fetch(`${instance.journalistUrl}${route}`, { method, redirect: 'manual' });
    expect([303, 401, 403, 404]).toContain(res.status);
    if (res.status === 303) expect(res.headers.get('location')).toBe('/login');
    // Nothing of the source app answers: no upload protocol, no sent page or codename (the staff
    // page script's own words, such as a reply's "Sent, encrypted to…", may be in any staff page).
    const body = (await res.text()).replace(/<script type="application\/json" id="i18n">[^<]*<\/script>/, '');
    expect(body).not.toMatch(/"open"|partSize|Sent|codename/);
  });
});

test('TOTP accepts one step of drift either way, no more', () => {
  const secret = 'JBSWY3DPEHPK3PXP';
  const now = 1_700_000_000_000;
  const step = Math.floor(now / 30_000);
  expect(matchingStep(secret, totpCode(secret, step - 1), now)).toBe(step - 1);
  expect(matchingStep(secret, totpCode(secret, step + 1), now)).toBe(step + 1);
  expect(matchingStep(secret, totpCode(secret, step + 2), now)).toBeNull();
  expect(matchingStep(secret, 'abcdef', now)).toBeNull();
});

test('RFC 6238 test vector (SHA-1, T = 59 s)', () => {
  // Secret "12345678901234567890" in base32; the RFC gives 94287082 for 8 digits, so 287082 for 6.
  expect(totpCode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', Math.floor(59 / 30))).toBe('287082');
});
