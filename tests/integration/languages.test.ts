import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { translator } from '../../server/i18n/index.ts';

// How a request's language is chosen, and what of that choice the server hands back.
let instance: Instance;
beforeAll(async () => {
  instance = await startInstance();
  await makeAccount(instance, 'desk');
});
afterAll(() => instance?.stop());

const get = (path: string, headers: Record<string, string> = {}) => fetch(`${instance.sourceUrl}${path}`, { headers, redirect: 'manual' });
const switchLinks = (html: string) => [...html.matchAll(/<a href="([^"]*)" hreflang=/g)].map((m) => m[1]);

test('Accept-Language chooses, ?lang= overrides and is remembered in a session cookie only', async () => {
  const zh = await get('/', { 'accept-language': 'zh-TW,zh;q=0.9,en;q=0.5' });
  expect(zh.headers.get('content-language')).toBe('zh-Hant');
  expect(zh.headers.get('set-cookie')).toBeNull(); // nothing to remember: nothing was chosen
  const chosen = await get('/?lang=ug', { 'accept-language': 'en-US,en;q=0.5' });
  expect(await chosen.text()).toContain('<html lang="ug" dir="rtl">');
  const cookie = chosen.headers.get('set-cookie')!;
  expect(cookie).toBe('sealdrop-lang=ug; Path=/; HttpOnly; SameSite=Lax'); // no Max-Age or Expires: gone when the browser closes
  const later = await get('/login', { cookie: 'sealdrop-lang=ug', 'accept-language': 'en-US' });
  expect(later.headers.get('content-language')).toBe('ug');
});

/** fetch() will not send another Host header; node:http will. */
function cookieFor(host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = http.get(`${instance.sourceUrl}/?lang=zh-Hans`, { headers: { host } }, (res) => {
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

test('anything but a shipped tag is ignored: unknown, repeated, or a cookie holding something else', async () => {
  for (const [path, headers] of [['/?lang=xx', {}], ['/?lang=ug&lang=en', {}], ['/?lang=ug%0d%0aSet-Cookie:%20x=1', {}], ['/', { cookie: 'sealdrop-lang=ugx' }], ['/', { cookie: 'sealdrop-lang=../../etc' }]] as const) {
    const res = await get(path, headers);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-language'), path).toBe('en');
    expect(res.headers.get('set-cookie'), path).toBeNull();
  }
});

test('the switch links are relative: a path such as //elsewhere.example/ never becomes a link to another site', async () => {
  const res = await get('//evil.example/phish');
  expect(res.status).toBe(404);
  const html = await res.text();
  expect(switchLinks(html)).toEqual(['?lang=zh-Hans', '?lang=zh-Hant', '?lang=ug']);
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
