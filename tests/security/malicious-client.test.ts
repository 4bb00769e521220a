import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat (the residual one the README's threat model names): a compromised server serves JavaScript that leaks
// plaintext. The bundle is reproducible, so `sealdrop verify-client` can catch a swapped script,
// a swapped stylesheet, or a page (any page a source loads) that pulls in something else.
let instance: Instance;
const fronts: http.Server[] = [];

type Alter = (path: string, body: string, headers: Record<string, string>) => string;

/** A "compromised" front: relays the real server, headers included, but lets `alter` change what it serves. */
async function compromised(alter: Alter): Promise<string> {
  const front = http.createServer(async (req, res) => {
    const upstream = await fetch(`${instance.sourceUrl}${req.url}`, { redirect: 'manual' });
    const headers: Record<string, string> = { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' };
    const csp = upstream.headers.get('content-security-policy');
    if (csp) headers['content-security-policy'] = csp;
    const body = alter(req.url ?? '/', Buffer.from(await upstream.arrayBuffer()).toString('latin1'), headers);
    res.writeHead(upstream.status, headers).end(Buffer.from(body, 'latin1'));
  });
  fronts.push(front);
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(front.address() as { port: number }).port}`;
}

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
});
afterAll(async () => {
  await Promise.all(fronts.map((f) => new Promise((r) => f.close(r))));
  await instance?.stop();
});

test('the honest server passes, file by file and page by page', async () => {
  const result = await sealdrop(['verify-client', '--url', instance.sourceUrl]);
  expect(result.code, result.stdout + result.stderr).toBe(0);
  expect(result.stdout).toMatch(/ok\s+\/static\/js\/source\.js/);
  expect(result.stdout).toMatch(/ok\s+\/static\/style\.css/);
  expect(result.stdout).toMatch(/ok\s+\/static\/nojs\.css/);
  for (const page of ['/', '/login', '/sent']) expect(result.stdout).toMatch(new RegExp(`ok\\s+page ${page}$`, 'm'));
  expect(result.stdout).toMatch(/ok\s+page \/verify-client-/);
  expect(result.stdout).toMatch(/All \d+ scripts and stylesheets, and the 4 pages .* match/);
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
  expect(result.stdout).toMatch(/MISMATCH page \/login loads the script \/static\/js\/chunks\/extra\.js/);
  expect(result.stdout).toMatch(/ok\s+page \/$/m);
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
  expect(result.stdout).toMatch(/MISMATCH page \/ loads the script \/static\/js\/source\.js\?v=2/);
  expect(result.stdout).toMatch(/MISMATCH page \/sent has a Content-Security-Policy whose script-src/);
  for (const problem of ['has an inline script', 'has an inline event handler \\(onerror\\)', 'has a <style> element']) {
    expect(result.stdout).toMatch(new RegExp(`MISMATCH page /verify-client-\\w+ ${problem}`));
  }
});

test('without --url it prints the digests to publish, stylesheets included', async () => {
  const result = await sealdrop(['verify-client']);
  expect(result.code).toBe(0);
  for (const file of ['js/source.js', 'js/journalist.js', 'style.css', 'nojs.css']) {
    expect(result.stdout).toMatch(new RegExp(`^[0-9a-f]{64} {2}/static/${file.replace('.', '\\.')}$`, 'm'));
  }
});
