import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../client/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat (the residual one DESIGN.md names): a compromised server serves JavaScript that leaks
// plaintext. The bundle is reproducible, so `sealdrop verify-client` can catch a swapped script.
let instance: Instance;
let evil: http.Server;
let evilUrl: string;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  // A "compromised" front: relays the real server but alters the page script.
  evil = http.createServer(async (req, res) => {
    const upstream = await fetch(`${instance.sourceUrl}${req.url}`);
    let body = Buffer.from(await upstream.arrayBuffer());
    if (req.url === '/static/js/source.js') body = Buffer.concat([body, Buffer.from('\nfetch("/leak");')]);
    res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'text/plain' }).end(body);
  });
  await new Promise<void>((r) => evil.listen(0, '127.0.0.1', r));
  evilUrl = `http://127.0.0.1:${(evil.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((r) => evil?.close(r));
  await instance?.stop();
});

test('the honest server passes, file by file', async () => {
  const result = await sealdrop(['verify-client', '--url', instance.sourceUrl]);
  expect(result.code, result.stderr).toBe(0);
  expect(result.stdout).toMatch(/ok\s+source\.js/);
  expect(result.stdout).toMatch(/All \d+ page scripts .* match/);
});

test('a swapped script is caught and the command fails', async () => {
  const result = await sealdrop(['verify-client', '--url', evilUrl]);
  expect(result.code).toBe(1);
  expect(result.stdout).toMatch(/MISMATCH source\.js/);
  expect(result.stderr).toMatch(/Do not trust/);
});

test('without --url it prints the digests to publish', async () => {
  const result = await sealdrop(['verify-client']);
  expect(result.code).toBe(0);
  expect(result.stdout).toMatch(/^[0-9a-f]{64} {2}source\.js$/m);
  expect(result.stdout).toMatch(/^[0-9a-f]{64} {2}journalist\.js$/m);
});
