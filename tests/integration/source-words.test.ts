import { rawPost } from '../helpers/raw-post.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { readCatalog } from '../../server/i18n/catalogs.ts';
import { translator } from '../../server/i18n/index.ts';
import { renderBranding } from '../../server/views/journalist/admin/branding.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// What a frightened source reads (issue 25): one sentence per level, "Before you send" before the
// Send button, the guide linked once, sizes in MB/GB only, refusals that say what happened and keep
// what was typed, a Leave button wherever a session lives, and the newsroom's name on every page.
const LIMIT = 1_500_000; // shown as "1.5 MB"
const BOUNDARY = 'sealdrop-words-boundary';
let instance: Instance;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(LIMIT), SEALDROP_PART_SIZE: String(64 * 1024) });
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
});
afterAll(() => instance?.stop());

const get = (path: string, lang = 'en', cookie = '') =>
  fetch(`${instance.sourceUrl}${path}`, { headers: { 'accept-language': lang, cookie } }).then(async (r) => ({ status: r.status, html: await r.text() }));
const fieldPart = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const fileHead = (name: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`;
const postForm = (path: string, body: string | Buffer) => rawPost(`${instance.sourceUrl}${path}`, body, `multipart/form-data; boundary=${BOUNDARY}`);
const postPlain = (path: string, fields: Record<string, string>, cookie = '') =>
  fetch(`${instance.sourceUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie }, body: new URLSearchParams(fields).toString(), redirect: 'manual' });
const count = (html: string, needle: string) => html.split(needle).length - 1;
const title = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1];

describe.each(LANGUAGES.map((l) => l.tag))('%s', (tag) => {
  const catalog = readCatalog(tag);
  test('the start page: one sentence per level, "Before you send" before Send, the guide linked once, the limit in MB', async () => {
    const { html } = await get('/', tag);
    const inner = (key: string) => catalog[key]!.replace(/<[^>]+>/g, '');
    const text = html.replace(/<[^>]+>/g, '').replaceAll('&#39;', "'");
    expect(text).toContain(inner('source.path.js'));
    expect(text).toContain(inner('source.path.nojs'));
    const before = html.indexOf(`<h2>${catalog['source.before.heading']}</h2>`);
    expect(before).toBeGreaterThan(0);
    expect(before).toBeLessThan(html.indexOf('id="send"'));
    expect(before).toBeLessThan(html.indexOf('id="send-plain"'));
    expect(count(html, 'href="/guide"')).toBe(1);
    // One unit family: the limit in MB, "each" with JavaScript and "in all" without.
    expect(html).toContain(catalog['form.documentsHint']!.replace('{size}', '1.5 MB'));
    expect(html).toContain(catalog['form.documentsHintNojs']!.replace('{size}', '1.5 MB'));
    // The visible text only: a random form token once contained "KB".
    expect(text).not.toMatch(/MiB|GiB|\bKB\b|\d bytes/);
  });

  test('no message a source reads says MiB, "Request refused" or "close this page"', () => {
    const sourceSide = Object.entries(catalog).filter(([k]) => /^(source|guide|form|sent|codename|nojs|login|replies|client|error)\./.test(k));
    expect(sourceSide.filter(([, v]) => /MiB|GiB/.test(v)).map(([k]) => k)).toEqual([]);
    expect(catalog['error.title.refused']).not.toMatch(/refused|拒绝|拒|رەت/i);
    // The page after a send, while the session lives: a link on, nothing about closing the page.
    expect(catalog['sent.next']).toMatch(/^<start>[^<]+<\/start>$/);
  });
});

test('a refusal is titled by what happened, under the newsroom name, never "Request refused"', async () => {
  const { status, html } = await get('/no-such-page');
  expect(status).toBe(404);
  expect(html).toContain('<h1>Nothing here</h1>');
  expect(html).not.toContain('Request refused');
  expect(html).toContain('<a href="/">Back to the start page</a>');
});

test('a wrong codename keeps the field as typed', async () => {
  const typed = 'alpha bravo charlie delta echo foxtrot golf';
  const res = await postPlain('/login', { codename: typed });
  expect([400, 401]).toContain(res.status);
  const html = await res.text();
  expect(html).toContain(`value="${typed}"`);
  expect(html).toContain('<p class="warning" role="alert">');
});

test('without JavaScript, a send declared larger than the limit is refused in MB and keeps the message typed', async () => {
  const message = 'The memo is <dated> & signed.';
  // The message comes first in the form; the file makes the declared length more than one send carries.
  const body = fieldPart('message', message) + fileHead('big.pdf');
  const big = Buffer.concat([Buffer.from(body), Buffer.alloc(LIMIT + 200_000), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const refused = await postForm('/submit', big);
  expect(refused.status).toBe(413);
  const html = refused.html;
  expect(html).toContain('<h2>Not sent</h2>');
  expect(html).toContain('1.5 MB, the most one send can carry without JavaScript');
  expect(html).toContain(`>The memo is &lt;dated&gt; &amp; signed.</textarea>`);
  expect(html).toContain('<form id="drop" method="post" action="/submit"');
  expect(instance.rows().submissions).toEqual([]);
});

test('without JavaScript, a message over its limit is refused and the form comes back with what was typed', async () => {
  const message = 'x'.repeat(100_001);
  const res = await postForm('/submit', fieldPart('message', message) + `--${BOUNDARY}--\r\n`);
  expect(res.status).toBe(413);
  const { html } = res;
  expect(html).toContain('The message is longer than 0.1 MB.');
  expect(html).toMatch(/<textarea id="message"[^>]*>x{1000,}<\/textarea>/);
});

test('the newsroom name heads every source page and is the tab title; without one the tab says a neutral word', async () => {
  const neutral = await get('/guide');
  expect(title(neutral.html)).toBe('Contact');
  instance.store.settings.setBranding({ name: 'The Daily Lantern', welcome: '', guidelines: '' });
  try {
    for (const path of ['/', '/guide', '/login', '/no-such-page']) {
      for (const tag of LANGUAGES.map((l) => l.tag)) {
        const { html } = await get(path, tag);
        expect(title(html), `${path} ${tag}`).toBe('The Daily Lantern');
        expect(html, `${path} ${tag}`).toContain('<p class="newsroom-name" dir="auto">The Daily Lantern</p>');
        expect(html).not.toContain('Sealdrop');
      }
    }
    // The administrator's own neutral word for the tab (Admin → Branding), while the page keeps the name.
    instance.store.settings.setBranding({ name: 'The Daily Lantern', welcome: '', guidelines: '', tabTitle: 'Recipes' });
    const { html } = await get('/login', 'ug');
    expect(title(html)).toBe('Recipes');
    expect(html).toContain('<p class="newsroom-name" dir="auto">The Daily Lantern</p>');
    expect(renderBranding({ t: translator('en'), viewer: { csrf: 'x', username: 'desk', isAdmin: true } as never, branding: { texts: { en: instance.store.settings.ownBranding('en') }, logo: false } })).toContain('name="tabTitle" maxlength="40" lang="en" dir="auto" value="Recipes"');
  } finally {
    instance.store.settings.setBranding({ name: '', welcome: '', guidelines: '' });
  }
});

test('Leave: on every page while a session lives; it ends the session in this browser and says what to do next', async () => {
  const sent = await postForm('/submit', fieldPart('message', 'hello') + `--${BOUNDARY}--\r\n`);
  expect(sent.status).toBe(200);
  const cookie = sent.cookie;
  expect(cookie).not.toBe('');
  const codenamePage = sent.html;
  const csrf = /<form class="leave" method="post" action="\/leave"><input type="hidden" name="csrf" value="([\w-]+)">/.exec(codenamePage)?.[1];
  expect(csrf).toBeDefined();
  for (const path of ['/', '/guide', '/sent', '/login']) {
    const { html } = await get(path, 'en', cookie);
    expect(html, path).toContain(`<input type="hidden" name="csrf" value="${csrf}"><button type="submit">Leave</button>`);
    expect(html, path).not.toMatch(/close this page/i);
  }
  expect((await postPlain('/leave', { csrf: 'forged' }, cookie)).status).toBe(403);
  const left = await postPlain('/leave', { csrf: csrf! }, cookie);
  expect(left.status).toBe(200);
  expect(left.headers.get('set-cookie')).toMatch(/^__Host-sealdrop-source=; Path=\/; HttpOnly; Secure; SameSite=Strict; Max-Age=0/);
  const html = await left.text();
  expect(html).toContain('<h1>You have left</h1>');
  expect(html).toContain('<bdi>New identity</bdi>');
  expect(html).not.toContain('class="leave"');
});
