import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { createSourceApp } from '../../server/source-app.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { NOT_PAGES, SOURCE_PAGES } from '../../server/cli/verify-pages.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat (the residual one the README's threat model names): a compromised server serves JavaScript that leaks
// plaintext. The bundle is reproducible, so `sealdrop verify-client` can catch a swapped script,
// a swapped stylesheet, or a page (any page a source loads) that pulls in something else.
let instance: Instance;
const fronts: http.Server[] = [];

type Alter = (path: string, body: string, headers: Record<string, string | string[]>, cookie: string) => string;

/** A "compromised" front: relays the real server, headers included, but lets `alter` change what it serves. */
async function compromised(alter: Alter, { ignoreLanguage = false } = {}): Promise<string> {
  const front = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const cookie = req.headers.cookie ?? '';
    const sent: Record<string, string> = ignoreLanguage ? {} : { cookie };
    if (req.headers['content-type']) sent['content-type'] = req.headers['content-type'];
    const body = req.method === 'POST' ? Buffer.concat(chunks) : undefined;
    const asked = ignoreLanguage ? (req.url ?? '/').replace(/[?&]lang=\d+/, '') : req.url;
    const upstream = await fetch(`${instance.sourceUrl}${asked}`, { method: req.method, headers: sent, body, redirect: 'manual' });
    const headers: Record<string, string | string[]> = { 'content-type': upstream.headers.get('content-type') ?? 'text/plain', 'set-cookie': upstream.headers.getSetCookie() };
    for (const name of ['content-security-policy', 'location']) {
      const value = upstream.headers.get(name);
      if (value) headers[name] = value;
    }
    const page = alter(req.url ?? '/', Buffer.from(await upstream.arrayBuffer()).toString('latin1'), headers, cookie);
    res.writeHead(upstream.status, headers).end(Buffer.from(page, 'latin1'));
  });
  fronts.push(front);
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(front.address() as { port: number }).port}`;
}

const TAGS = LANGUAGES.map((l) => l.tag);
const PAGES = ['/', '/guide', '/login', '/sent', 'POST /login', 'POST /leave'];
const ESCAPE = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
const line = (verdict: 'ok' | 'MISMATCH', page: string, tag: string, rest = '') => new RegExp(`^${verdict}\\s+page ${ESCAPE(page)} \\(${ESCAPE(tag)}\\)${rest ? ` ${rest}` : '$'}`, 'm');
// The Uyghur reader's cookie, as the switch (?lang=3) gives it.
const UYGHUR = /(?:^|; )sealdrop-lang=3(?:;|$)/;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
});
afterAll(async () => {
  await Promise.all(fronts.map((f) => new Promise((r) => f.close(r))));
  await instance?.stop();
});

test('the honest server passes, file by file, and page by page in every language', async () => {
  // Started outside the checkout, as an administrator may: the rebuild must not depend on the folder it runs from.
  const result = await sealdrop(['verify-client', '--url', instance.sourceUrl], {}, undefined, '/');
  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toMatch(/ok\s+\/static\/js\/source\.js/);
  expect(result.stdout).toMatch(/ok\s+\/static\/style\.css/);
  expect(result.stdout).toMatch(/ok\s+\/static\/nojs\.css/);
  for (const tag of TAGS) {
    expect(result.stdout).toMatch(new RegExp(`^ok\\s+language switch to ${tag}$`, 'm'));
    for (const page of [...PAGES, '/verify-client-']) expect(result.stdout).toMatch(page.endsWith('-') ? new RegExp(`^ok\\s+page /verify-client-\\w+ \\(${tag}\\)$`, 'm') : line('ok', page, tag));
  }
  expect(result.stdout).not.toMatch(/MISMATCH/);
  expect(result.stdout).toMatch(/All \d+ scripts and stylesheets, and the 7 pages .* in each of the 4 languages \(28 in all\), .* match/);
});

test('the pages it checks are every page the source listener serves by GET', () => {
  // The listener's router, walked: a GET route that is neither a checked page nor named as something
  // else (JSON, an image, a reply for a session) would be a page verify-client never fetches.
  type Layer = { route?: { path: string; methods: Record<string, boolean> }; handle: { stack?: Layer[] }; rawPath?: string };
  const app = createSourceApp({ config: instance.config, store: instance.store }) as unknown as { router: { stack: Layer[] } };
  const gets = (stack: Layer[], prefix: string): string[] =>
    stack.flatMap((l) => (l.route ? (l.route.methods.get ? [prefix + l.route.path] : []) : l.handle.stack ? gets(l.handle.stack, prefix + (l.rawPath === '/' ? '' : (l.rawPath ?? ''))) : []));
  const routes = gets(app.router.stack, '');
  expect(routes).toContain('/guide');
  expect([...new Set(routes)].sort()).toEqual([...SOURCE_PAGES, ...Object.keys(NOT_PAGES)].sort());
});

test('a swapped script is caught and the command fails', async () => {
  const url = await compromised((p, body) => (p === '/static/js/source.js' ? `${body}\nfetch("/leak");` : body));
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/MISMATCH \/static\/js\/source\.js/);
  expect(result.stderr).toMatch(/Do not trust/);
});

test('a swapped stylesheet is caught', async () => {
  // CSS can leak what a page shows (attribute selectors fetching URLs), so stylesheets are checked too.
  const url = await compromised((p, body) => (p === '/static/nojs.css' ? `${body}\ninput[value^="a"] { background: url(/leak?a); }` : body));
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/MISMATCH \/static\/nojs\.css/);
  expect(result.stdout).not.toMatch(/MISMATCH \/static\/js/);
});

test('a login page that loads another script is caught, though the start page is clean', async () => {
  const url = await compromised((p, body) => (p === '/login' ? body.replace('</head>', '<script src="/static/js/chunks/extra.js"></script></head>') : body));
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code).toBe(1);
  for (const tag of TAGS) {
    expect(result.stdout).toMatch(line('MISMATCH', '/login', tag, 'loads the script /static/js/chunks/extra\\.js'));
    expect(result.stdout).toMatch(line('MISMATCH', 'POST /login', tag, 'loads the script /static/js/chunks/extra\\.js'));
    expect(result.stdout).toMatch(line('ok', '/', tag));
  }
});

test('a script added to the guide alone is caught, named by page in each language', async () => {
  // The guide loads no script at all: one that appears there is the attack.
  const url = await compromised((p, body) => (p === '/guide' ? body.replace('</head>', '<script type="module" src="/static/js/chunks/guide-leak.js"></script></head>') : body));
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code, result.stdout).toBe(1);
  for (const tag of TAGS) {
    expect(result.stdout).toMatch(line('MISMATCH', '/guide', tag, 'loads the script /static/js/chunks/guide-leak\\.js'));
    for (const page of PAGES.filter((p) => p !== '/guide')) expect(result.stdout).toMatch(line('ok', page, tag));
  }
  expect(result.stderr).toMatch(/Do not trust/);
});

test('a swapped script served to Uyghur readers alone is caught, named by page and language', async () => {
  // The front tells a Uyghur reader by the cookie the switch gave it, as a targeted attack would.
  const url = await compromised((_p, body, _h, cookie) => (UYGHUR.test(cookie) ? body.replace('</head>', '<script type="module" src="/static/js/chunks/ug-leak.js"></script></head>') : body));
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code, result.stdout).toBe(1);
  for (const page of PAGES) {
    expect(result.stdout).toMatch(line('MISMATCH', page, 'ug', 'loads the script /static/js/chunks/ug-leak\\.js'));
    for (const tag of TAGS.filter((t) => t !== 'ug')) expect(result.stdout).toMatch(line('ok', page, tag));
  }
});

test('a server that ignores the language switch, or links to a page it does not check, is caught', async () => {
  // Every reader gets English, whatever the switch or the cookie: else the check would see one language four times.
  const url = await compromised(
    (p, body) => (p === '/sent' ? body.replace('</main>', '<p><a href="/extra">more</a></p></main>') : body),
    { ignoreLanguage: true },
  );
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code, result.stdout).toBe(1);
  for (const tag of TAGS) expect(result.stdout).toMatch(new RegExp(`^MISMATCH language switch to ${tag}$`, 'm'));
  expect(result.stdout).toMatch(line('ok', '/', 'en'));
  for (const page of PAGES) expect(result.stdout).toMatch(line('MISMATCH', page, 'ug', 'is not served in ug \\(it says en\\)'));
  expect(result.stdout).toMatch(line('MISMATCH', '/sent', 'en', 'links to /extra, which is not a page verify-client checks'));
});

test('inline code on an error page, a query-string script and a loosened policy are caught', async () => {
  const url = await compromised((p, body, headers) => {
    if (p === '/sent') headers['content-security-policy'] = "default-src 'none'; script-src 'self' 'unsafe-inline'";
    if (p === '/') return body.replace('/static/js/source.js', '/static/js/source.js?v=2');
    if (!p.startsWith('/verify-client-')) return body;
    return body.replace('</main>', '<style>p{}</style><img alt=">" onerror="fetch(1)"><script>fetch(2)</script></main>');
  });
  const result = await sealdrop(['verify-client', '--url', url]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(line('MISMATCH', '/', 'zh-Hant', 'loads the script /static/js/source\\.js\\?v=2'));
  expect(result.stdout).toMatch(line('MISMATCH', '/sent', 'ug', 'has a Content-Security-Policy whose script-src'));
  for (const problem of ['has an inline script', 'has an inline event handler \\(onerror\\)', 'has a <style> element']) {
    expect(result.stdout).toMatch(new RegExp(`MISMATCH page /verify-client-\\w+ \\(zh-Hans\\) ${problem}`));
  }
});

test('without --url it prints the digests to publish, stylesheets included', async () => {
  const result = await sealdrop(['verify-client']);
  expect(result.code).toBe(0);
  for (const file of ['js/source.js', 'js/journalist.js', 'style.css', 'nojs.css']) {
    expect(result.stdout).toMatch(new RegExp(`^[0-9a-f]{64} {2}/static/${file.replace('.', '\\.')}$`, 'm'));
  }
});
