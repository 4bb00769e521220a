import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { translator } from '../../server/i18n/index.ts';
import { onTheWire } from '../helpers/wire.ts';

// How a request's language is chosen, and what of that choice the server hands back.
let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
  await makeAccount(instance, 'desk');
});
afterAll(() => instance?.stop());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${instance.sourceUrl}${path}`, { headers, redirect: 'manual' });
const switchLinks = (html: string) => [...html.matchAll(/<a href="([^"]*)" hreflang=/g)].map((m) => m[1]);

test('Accept-Language chooses and is remembered in a session cookie that every reader gets, of one length for every language', async () => {
  const zh = await get('/', { 'accept-language': 'zh-TW,zh;q=0.9,en;q=0.5' });
  expect(zh.headers.get('content-language')).toBe('zh-Hant');
  // Written even though nothing was chosen: a reader who never switches sends the same cookie back.
  expect(zh.headers.get('set-cookie')).toBe('sealdrop-lang=2; Path=/; HttpOnly; SameSite=Lax'); // no Max-Age or Expires: gone when the browser closes
  const en = await get('/', { 'accept-language': 'en-US,en;q=0.5' });
  expect(en.headers.get('set-cookie')).toBe('sealdrop-lang=0; Path=/; HttpOnly; SameSite=Lax');
  const held = await get('/login', { cookie: 'sealdrop-lang=3', 'accept-language': 'en-US' });
  expect(held.headers.get('content-language')).toBe('ug');
  expect(held.headers.get('set-cookie')).toBeNull(); // already held as it would be written
});

test('?lang= (a code, or a tag as older links say) answers a redirect to the same address without it, setting the cookie', async () => {
  for (const asked of ['3', 'ug']) {
    const chosen = await get(`/guide?lang=${asked}`, { 'accept-language': 'en-US,en;q=0.5' });
    expect(chosen.status, asked).toBe(303);
    expect(chosen.headers.get('location'), asked).toBe('./guide');
    expect(chosen.headers.get('set-cookie'), asked).toBe('sealdrop-lang=3; Path=/; HttpOnly; SameSite=Lax');
    expect(chosen.headers.get('content-language'), asked).toBeNull();
    const page = await get('/guide', { cookie: 'sealdrop-lang=3', 'accept-language': 'en-US' });
    expect(await page.text()).toContain('<html lang="ug" dir="rtl">');
  }
  // Other parameters stay, in order; every spelling of `lang` goes; the start page leads to itself.
  expect((await get('/guide?a=1&lang=1&b=2')).headers.get('location')).toBe('./guide?a=1&b=2');
  expect((await get('/guide?lan%67=1&a=1')).headers.get('location')).toBe('./guide?a=1');
  expect((await get('/?lang=1')).headers.get('location')).toBe('./');
  const head = await fetch(`${instance.sourceUrl}/login?lang=2`, { method: 'HEAD', redirect: 'manual' });
  expect([head.status, head.headers.get('location')]).toEqual([303, './login']);
});

test('a browser still holding an old cookie (sealdrop-lang=ug) keeps its language and gets it rewritten', async () => {
  const res = await get('/login', { cookie: 'sealdrop-lang=ug', 'accept-language': 'en-US' });
  expect(res.headers.get('content-language')).toBe('ug');
  expect(res.headers.get('set-cookie')).toBe('sealdrop-lang=3; Path=/; HttpOnly; SameSite=Lax');
});

test('the redirect never leads to another site, whatever the path', async () => {
  for (const [path, location] of [['//evil.example/phish?lang=3', './phish'], ['/%2F%2Fevil.example?lang=3', './%2F%2Fevil.example'], ['/a\\\\evil.example/x?lang=3&q=%22%3E', './x?q=%22%3E'], ['/javascript:alert(1)?lang=3', './javascript:alert(1)']] as const) {
    const res = await onTheWire(instance.sourceUrl, { path });
    expect(res.status, path).toBe(303);
    const at = res.headers.get('location')![0]!;
    expect(at, path).toBe(location);
    expect(new URL(at, `http://drop.onion${path}`).host, path).toBe('drop.onion');
  }
});

/** fetch() will not send another Host header; node:http will. */
function cookieFor(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${instance.sourceUrl}/?lang=1`, { headers: { host } }, (res) => {
      res.resume();
      resolve(String(res.headers['set-cookie'] ?? ''));
    });
    req.on('error', reject);
  });
}

test('off the onion and this machine (a clearnet mirror behind TLS) the cookie is Secure', async () => {
  expect(await cookieFor('drop.example.org')).toMatch(/; Secure$/);
  expect(await cookieFor(`${'a'.repeat(56)}.onion`)).not.toMatch(/Secure/);
  expect(await cookieFor('localhost:8080')).not.toMatch(/Secure/);
});

test('anything but a shipped code or tag is ignored: unknown, repeated, or a cookie holding something else (then written afresh)', async () => {
  for (const [path, headers] of [['/?lang=xx', {}], ['/?lang=4', {}], ['/?lang=03', {}], ['/?lang=ug&lang=en', {}], ['/?lang=ug%0d%0aSet-Cookie:%20x=1', {}], ['/', { cookie: 'sealdrop-lang=ugx' }], ['/', { cookie: 'sealdrop-lang=../../etc' }], ['/', { cookie: 'sealdrop-lang=9' }]] as const) {
    const res = await get(path, headers);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-language'), path).toBe('en');
    expect(res.headers.get('set-cookie'), path).toBe('sealdrop-lang=0; Path=/; HttpOnly; SameSite=Lax');
  }
});

test('the switch links are relative: a path such as //elsewhere.example/ never becomes a link to another site', async () => {
  const res = await get('//evil.example/phish');
  expect(res.status).toBe(404);
  const html = await res.text();
  expect(switchLinks(html)).toEqual(['?lang=1', '?lang=2', '?lang=3']); // one length: the click does not say which
  expect(html).not.toContain('evil.example');
});

test('refusals are worded in the reader language, in JSON and on pages; the codename page has no switch to leave it by', async () => {
  const zh = translator('zh-Hans');
  const api = await fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN', 'sec-fetch-site': 'same-origin' }, body: '{"extra":1}' });
  expect(api.status).toBe(400);
  expect(await api.json()).toEqual({ error: zh.text('error.unknownField', { field: 'extra' }), code: 'bad_request' });
  const form = new FormData();
  form.append('message', 'A note for the desk.');
  const sent = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', body: form, headers: { cookie: 'sealdrop-lang=ug', 'sec-fetch-site': 'same-origin' } });
  const page = await sent.text();
  expect(page).toContain(translator('ug').text('nojs.codename.heading'));
  expect(switchLinks(page)).toEqual([]);
  expect(page).not.toContain('class="languages"');
});

test('the journalist listener: the same switch and redirect; the cookie is written only when chosen or to rewrite an old one', async () => {
  const at = (path: string, headers: Record<string, string> = {}) => fetch(`${instance.journalistUrl}${path}`, { headers, redirect: 'manual' });
  const switched = await at('/login?lang=3');
  expect([switched.status, switched.headers.get('location'), switched.headers.get('set-cookie')]).toEqual([303, './login', 'sealdrop-lang=3; Path=/; HttpOnly; SameSite=Lax']);
  const page = await at('/login', { cookie: 'sealdrop-lang=3' });
  expect(await page.text()).toContain('<html lang="ug" dir="rtl">');
  expect(switchLinks(await (await at('/login')).text())).toEqual(['?lang=1', '?lang=2', '?lang=3']);
  expect((await at('/login')).headers.get('set-cookie') ?? '').not.toMatch(/sealdrop-lang/);
  expect((await at('/login', { cookie: 'sealdrop-lang=zh-Hans' })).headers.get('set-cookie')).toMatch(/^sealdrop-lang=1;/);
});
