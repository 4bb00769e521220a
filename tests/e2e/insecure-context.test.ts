import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportSubmissions } from '../../server/cli/export.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { launchFirefoxViaProxy, randomOnion, startOnionProxy, type OnionProxy } from '../helpers/onion-proxy.ts';
import { foreignRequests, safestSentence, until } from '../helpers/pages.ts';
import { translator } from '../../server/i18n/index.ts';

// A browser that does not treat an http .onion page as a secure context (any browser but Tor
// Browser) sends no Sec-Fetch-Site and refuses Secure (so __Host-) cookies there. The page tells
// exactly that browser to use the no-JavaScript form, so that form, and a returning source's
// codename login → send, must work in it; cross-site and opaque-origin posts are still refused.
let instance: Instance;
let proxy: OnionProxy;
let gpg: GpgHome;
let work: string;

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('onion', 'ed25519')]);
  await instance.addJournalist('onion', await readFile(gpg.publicKeyFile, 'utf8'));
  proxy = await startOnionProxy(instance.sourceUrl);
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-insecure-'));
});
afterAll(async () => {
  await proxy?.close();
  await instance?.stop();
  await gpg?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Presses a button with the keyboard: page.click hangs in Firefox with JavaScript off. */
async function press(page: Page, button: string): Promise<void> {
  await page.focus(button);
  await page.keyboard.press('Enter');
}

async function typeInto(page: Page, field: string, text: string): Promise<void> {
  await page.focus(field);
  await page.keyboard.type(text);
}

/** Every complete submission, exported as `sealdrop export` does and opened with gpg alone. */
async function openAllWithGpg(): Promise<{ designation: string; name: string; plaintext: Buffer }[]> {
  const out = await mkdtemp(path.join(work, 'export-'));
  await exportSubmissions(instance.store, out);
  const opened = [];
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const { manifest, plaintext } = await gpgOpenSubmission((f) => gpg.decrypt(f), path.join(out, designation, id));
      opened.push({ designation, name: manifest.name, plaintext });
    }
  }
  return opened;
}

describe('Firefox ESR without the onion allowlist, through an http .onion address', () => {
  let browser: Browser | undefined;
  afterAll(() => browser?.close());

  test('with JavaScript on, the onion page is not a secure context: no WebCrypto, and the page points to the plain form', async () => {
    browser = await launchFirefoxViaProxy('standard', proxy);
    const page = await browser.newPage();
    await page.goto(`${proxy.url}/`);
    expect(page.url()).toBe(`${proxy.url}/`);
    expect(await page.evaluate(() => window.isSecureContext)).toBe(false);
    expect(await page.evaluate(() => typeof globalThis.crypto?.subtle)).toBe('undefined');
    await until(() => page.evaluate(() => !document.getElementById('path-unsupported')!.hidden), 20_000, 'the "cannot encrypt here" note');
    await browser.close();
    browser = undefined;
  });

  test('at "Safest": send a file and a message → codename; log in with it → send again; gpg opens both, in one conversation', async () => {
    browser = await launchFirefoxViaProxy('safest', proxy);
    const before = new Set((instance.rows().sources as { id: string }[]).map((s) => s.id));
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => void requested.push(r.url()));
    const file = randomBytes(300 * 1024);
    const name = `ledger-${randomBytes(4).toString('hex')}.bin`;
    await writeFile(path.join(work, name), file);

    await page.goto(`${proxy.url}/`);
    expect(await safestSentence(page)).toBe(translator('en').text('source.path.nojs'));
    await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(path.join(work, name));
    await typeInto(page, '#message', 'First message over the onion.');
    await press(page, '#send-plain');
    await until(async () => page.url().endsWith('/submit') && /id="codename"|Cross-site|refused/.test(await page.content()), 60_000, 'the answer to the first form');
    const html = await page.content();
    expect(html).not.toContain('Cross-site requests are refused');
    const codename = /id="codename"[^>]*>([a-z -]+)</.exec(html)?.[1];
    expect(codename?.split(' ')).toHaveLength(7);

    // The Secure __Host- cookie cannot be stored on this page; the onion-only fallback is (beside
    // the language cookie, which every reader gets on their first page).
    const cookies = (await page.cookies()).map((c) => c.name).sort();
    expect(cookies).toEqual(['sealdrop-lang', 'sealdrop-source']);

    // A returning source: log in with the codename (a fresh session cookie), then send more.
    await page.goto(`${proxy.url}/login`);
    await typeInto(page, '#codename-input', codename!);
    await press(page, '#codename-plain');
    // (Read without the login page's own strings block, which holds the script's words, "refused" among them.)
    await until(async () => /Your conversation|refused|wrong|ended/i.test((await page.content()).replace(/<script type="application\/json"[^]*?<\/script>/, '')), 60_000, 'the conversation page');
    expect(await page.content()).toContain('Your conversation');
    await typeInto(page, '#message', 'Second message, after logging in.');
    await press(page, '#send-plain');
    await until(async () => page.url().endsWith('/sent') || /refused|ended|codename"/.test(await page.content()), 60_000, 'the confirmation page');
    expect(page.url()).toBe(`${proxy.url}/sent`);
    expect(foreignRequests(requested, proxy.url)).toEqual([]);

    const sources = (instance.rows().sources as { id: string; designation: string }[]).filter((s) => !before.has(s.id));
    expect(sources).toHaveLength(1);
    const complete = (instance.rows().submissions as { source_id: string; state: string }[]).filter((s) => s.state === 'complete' && s.source_id === sources[0]!.id);
    expect(complete).toHaveLength(3); // the file and both messages, in one conversation
    const opened = (await openAllWithGpg()).filter((o) => o.designation === sources[0]!.designation);
    expect(opened).toHaveLength(3);
    expect(opened.find((o) => o.name === name)?.plaintext.equals(file)).toBe(true);
    expect(opened.filter((o) => o.name === 'message.txt').map((o) => o.plaintext.toString()).sort()).toEqual(['First message over the onion.', 'Second message, after logging in.']);
  });
});

// The same checks without a browser, with the exact headers such a browser (or an attacker's page) sends.
type Answer = { status: number; body: string; cookies: string[] };

function post(pathname: string, headers: Record<string, string>, body: string | Buffer): Promise<Answer> {
  const { port } = new URL(instance.sourceUrl);
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: pathname, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, cookies: res.headers['set-cookie'] ?? [] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

const BOUNDARY = 'sealdrop-onion-boundary';
const messageForm = (text: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${text}\r\n--${BOUNDARY}--\r\n`;
const MULTIPART = `multipart/form-data; boundary=${BOUNDARY}`;
const FORM = 'application/x-www-form-urlencoded';

describe('the same-origin check on an onion Host', () => {
  test.each([
    ['an opaque origin ("null": a sandboxed frame or data: page)', 'null'],
    ['another onion', `http://${randomOnion()}`],
    ['a clearnet site', 'https://attacker.example'],
    ['the same name on another port', 'PLACEHOLDER:8080'],
  ])('refuses a form post from %s', async (_label, origin) => {
    const res = await post('/login', { host: proxy.onion, origin: origin.replace('PLACEHOLDER', `http://${proxy.onion}`), 'content-type': FORM }, 'codename=a');
    expect(res.status).toBe(403);
    expect(res.body).toContain('Cross-site requests are refused');
    const upload = await post('/submit', { host: proxy.onion, origin: origin.replace('PLACEHOLDER', `http://${proxy.onion}`), 'content-type': MULTIPART }, messageForm('cross-site'));
    expect(upload.status).toBe(403);
  });

  test.each([
    ['http://ONION', 'ONION'],
    ['http://ONION:80', 'ONION'],
    ['http://ONION', 'ONION:80'],
    ['http://ONION', 'UPPER'],
  ])('lets a same-origin post through (Origin %s, Host %s)', async (origin, host) => {
    const fill = (s: string) => (s === 'UPPER' ? proxy.onion.toUpperCase() : s.replace('ONION', proxy.onion));
    const res = await post('/login', { host: fill(host), origin: fill(origin), 'content-type': FORM }, 'codename=a');
    expect(res.status).toBe(400); // past the origin check: "a" is not a codename
  });
});

describe('the no-JavaScript source cookie', () => {
  const SECURE = /^__Host-sealdrop-source=([\w-]+); Path=\/; HttpOnly; Secure; SameSite=Strict$/;
  const FALLBACK = /^sealdrop-source=([\w-]+); Path=\/; HttpOnly; SameSite=Strict$/;

  test('on an onion Host, a non-Secure fallback comes with the __Host- cookie, and it alone signs a returning source in', async () => {
    const first = await post('/submit', { host: proxy.onion, origin: proxy.url, 'content-type': MULTIPART }, messageForm('cookie test'));
    expect(first.status).toBe(200);
    expect(first.cookies).toHaveLength(2);
    const token = SECURE.exec(first.cookies[0]!)?.[1];
    expect(token).toBeDefined();
    expect(FALLBACK.exec(first.cookies[1]!)?.[1]).toBe(token);
    const again = await post('/submit', { host: proxy.onion, origin: proxy.url, 'content-type': MULTIPART, cookie: `sealdrop-source=${token}` }, messageForm('cookie test, again'));
    expect(again.status).toBe(303); // the same source: /sent, no new codename
    expect(again.body).not.toContain('id="codename"');
  });

  test('on any other Host only the __Host- cookie is set, and a fallback cookie is ignored (no session fixation over http)', async () => {
    const host = new URL(instance.sourceUrl).host;
    const first = await post('/submit', { host, origin: instance.sourceUrl, 'content-type': MULTIPART }, messageForm('clearnet'));
    expect(first.status).toBe(200);
    expect(first.cookies).toHaveLength(1);
    const token = SECURE.exec(first.cookies[0]!)?.[1];
    expect(token).toBeDefined();
    const fixated = await post('/submit', { host, origin: instance.sourceUrl, 'content-type': MULTIPART, cookie: `sealdrop-source=${token}` }, messageForm('clearnet, fixated'));
    expect(fixated.status).toBe(200); // treated as a new source: a new codename
    expect(fixated.body).toContain('id="codename"');
  });
});
