import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { startInstance, startWithJournalist, type Instance } from '../helpers/instance.ts';
import { pngChunk, pngFile, rgbaIdat } from '../helpers/png.ts';

// Issue 25's form tokens after the security review: the start page's two forms do not share a
// claim, a token hands out no codename after Leave (or once the codename page arrived), a repeat
// whose first answer is forgotten is kept as a new send, and /codename checks the disk like sends.
const BOUNDARY = 'sealdrop-once-review';
let instance: Instance;

beforeAll(async () => void ({ instance } = await startWithJournalist()));
afterAll(() => instance?.stop());

type Answer = { status: number; location?: string; cookie: string; html: string; cacheControl?: string };
function request(url: string, method: string, body: string, type: string, cookie = ''): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method, agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body), cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, cookie: /^(__Host-sealdrop-source=[\w-]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1] ?? '', html: Buffer.concat(chunks).toString(), cacheControl: res.headers['cache-control'] }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
const post = (path: string, body: string, type: string, cookie = '', base = instance.sourceUrl) => request(`${base}${path}`, 'POST', body, type, cookie);
const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const send = (once: string, message: string, cookie = '') => post('/submit', `${field('once', once)}${field('message', message)}--${BOUNDARY}--\r\n`, `multipart/form-data; boundary=${BOUNDARY}`, cookie);
const codename = (once: string, cookie = '', base = instance.sourceUrl) => post('/codename', `once=${once}`, 'application/x-www-form-urlencoded', cookie, base);
const leave = (csrf: string, cookie: string) => post('/leave', `csrf=${csrf}`, 'application/x-www-form-urlencoded', cookie);
const onceIn = (html: string) => /<input type="hidden" name="once" value="([\w-]+)">/.exec(html)?.[1] ?? '';
const codenameIn = (html: string) => /<p class="codename" id="codename" dir="ltr">([^<]+)<\/p>/.exec(html)?.[1];
const csrfIn = (html: string) => /<form class="leave" method="post" action="\/leave"><input type="hidden" name="csrf" value="([\w-]+)">/.exec(html)?.[1];
const startPage = async (cookie = '') => (await fetch(`${instance.sourceUrl}/`, { headers: { cookie } })).text();
const counts = () => ({ sources: instance.rows().sources!.length, submissions: instance.rows().submissions!.length });

test('"Get my codename first", Back, then Send with the same page\'s token: the send is stored, not thrown away as a repeat', async () => {
  const once = onceIn(await startPage());
  const first = await codename(once);
  expect(codenameIn(first.html)).toBeDefined();
  const before = counts();
  // Back to the start page as the browser kept it (no new token), the session cookie from the codename page.
  const sent = await send(once, 'The material, after Back.', first.cookie);
  expect([sent.status, sent.location]).toEqual([303, '/sent']);
  expect(counts()).toEqual({ sources: before.sources, submissions: before.submissions + 1 });
});

test('the token hands no codename to whoever comes after Leave: the same form again makes another', async () => {
  const once = onceIn(await startPage());
  const first = await codename(once);
  const left = await leave(csrfIn(first.html)!, first.cookie);
  expect(left.status).toBe(200);
  const again = await codename(once);
  expect(again.status).toBe(200);
  expect(codenameIn(again.html)).toBeDefined();
  expect(codenameIn(again.html)).not.toBe(codenameIn(first.html));
});

test('once a request carries the new source\'s session, the kept codename page is forgotten', async () => {
  const once = onceIn(await startPage());
  const first = await codename(once);
  await startPage(first.cookie); // the codename page arrived: the browser came back with its cookie
  const again = await codename(once);
  expect(codenameIn(again.html)).not.toBe(codenameIn(first.html));
});

test('a new source\'s repeat whose first answer is forgotten is kept as a new send with a new codename, never dropped', async () => {
  const once = onceIn(await startPage());
  const first = await send(once, 'First copy.');
  expect(codenameIn(first.html)).toBeDefined();
  await leave(csrfIn(first.html)!, first.cookie);
  const before = counts();
  const repeat = await send(once, 'First copy.');
  expect(repeat.status).toBe(200);
  expect(codenameIn(repeat.html)).toBeDefined();
  expect(codenameIn(repeat.html)).not.toBe(codenameIn(first.html));
  expect(counts()).toEqual({ sources: before.sources + 1, submissions: before.submissions + 1 });
});

test('a repeat with the session still in the browser is told it was already sent, with a Leave button', async () => {
  const once = onceIn(await startPage());
  const first = await send(once, 'Kept once.');
  const before = counts();
  const repeat = await send(once, 'Kept once.', first.cookie);
  expect(repeat.status).toBe(200);
  expect(repeat.html).toContain('This form was already sent');
  expect(codenameIn(repeat.html)).toBeUndefined();
  expect(csrfIn(repeat.html)).toBeDefined();
  expect(counts()).toEqual(before);
});

test('/codename is refused when the disk is low, like every new upload, and nothing is made', async () => {
  const full = await startInstance({ SEALDROP_MIN_FREE_MIB: String(1024 * 1024) });
  try {
    await full.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
    const page = await (await fetch(`${full.sourceUrl}/`)).text();
    const answer = await codename(onceIn(page), '', full.sourceUrl);
    expect(answer.status).toBe(507);
    expect(full.rows().sources!.length).toBe(0);
  } finally {
    await full.stop();
  }
});

test('the logo, on every source page, is never stored by the browser', async () => {
  instance.store.settings.setLogo({ type: 'image/png', bytes: pngFile({ width: 4, height: 4 }, pngChunk('IDAT', rgbaIdat(4, Buffer.alloc(64, 0x80)))) });
  const logo = await request(`${instance.sourceUrl}/branding/logo`, 'GET', '', 'text/plain');
  expect(logo.status).toBe(200);
  expect(logo.cacheControl).toBe('no-store');
});

test('a repeat of a send already answered is read but not encrypted: no key pair made, no part written, the same page', async () => {
  const once = onceIn(await startPage());
  const first = await send(once, 'Encrypted once.');
  const made = { sources: 0, submissions: 0 };
  const { sources, submissions } = instance.store;
  const [create, open] = [sources.create, submissions.create];
  // Counting the real store's calls (the server shares this store object); nothing is replaced.
  sources.create = (...args) => (made.sources++, create.apply(sources, args));
  submissions.create = (...args) => (made.submissions++, open.apply(submissions, args));
  try {
    const repeat = await send(once, 'Encrypted once.');
    expect(codenameIn(repeat.html)).toBe(codenameIn(first.html));
  } finally {
    [sources.create, submissions.create] = [create, open];
  }
  expect(made).toEqual({ sources: 0, submissions: 0 });
});
