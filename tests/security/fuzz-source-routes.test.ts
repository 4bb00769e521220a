import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, partCountFor, readJournalistKey, SubmissionSealer } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { bzip2Bomb, concat, nestedZlibBomb } from '../helpers/packets.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { anyJson, caseArb, latin1, real, type Case } from '../helpers/source-requests.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { EFF_LARGE_WORDLIST } from '../../common/wordlist.ts';

// Threat: every source-facing route takes hostile input. Whatever method, path, headers and body
// arrive: no 5xx, the server stays up, each refusal is a clear 4xx (JSON {error} under /api/, an
// HTML page elsewhere, always with the CSP header), answered in bounded time, storing nothing.
// A bound on each case, generous for a loaded 2-core CI machine (alone, cases take milliseconds).
const CASE_MS = 10_000;
const PART = 64 * 1024;
let instance: Instance;
let port: number;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(16 * PART) });
  port = Number(new URL(instance.sourceUrl).port);
  const journalist = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', journalist.publicKey);
  Object.assign(real, await registerApiSource(instance.sourceUrl));
  const key = (await readJournalistKey(journalist.publicKey)).key;
  real.uploadSecret = 'f00d'.repeat(16);
  const res = await fetch(`${instance.sourceUrl}/api/submissions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': real.token }, body: JSON.stringify({ parts: partCountFor(5, PART), secret: real.uploadSecret }),
  });
  real.submission = ((await res.json()) as { submission: string }).submission;
  const sealer = new SubmissionSealer({ submission: real.submission, name: 'a.txt', type: 'text/plain', recipients: [key], partSize: PART });
  for await (const part of sealer.sealEnd(new Uint8Array(5))) real.objects.push(part);
  real.objects.push(await sealer.sealManifest(), nestedZlibBomb(64 << 20), await bzip2Bomb(64 << 20));
  real.objects.push(concat(real.objects[0]!, new Uint8Array([0xca, 3, 1, 2, 3])));
  const source = (instance.rows().sources as { id: string }[])[0]!;
  real.reply = await instance.store.replies.add(source.id, await encryptObject({ data: new Uint8Array(10), recipients: [key] }));
  const pair = await generateKeyPair({ name: 'Sealdrop source', passphrase: 'p'.repeat(64) });
  real.registration = JSON.stringify({ login: 'f'.repeat(64), publicKey: pair.publicKey, privateKey: pair.privateKey });
});
afterAll(() => instance?.stop());

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

function send(c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers: c.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(new Error(`${show(c)}: ${String(error)}`)));
    req.setTimeout(CASE_MS, () => req.destroy(new Error(`no answer in ${CASE_MS} ms`)));
    req.end(c.body);
  });
}

const show = (c: Case) => `${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 200)} body ${c.body.length} bytes`;
const label = (c: Case, a: Answer) => `${show(c)} -> ${a.status} ${a.body.slice(0, 300)}`;
const snapshot = async () => JSON.stringify({ objects: await instance.objectFiles(), rows: instance.rows() });

/** The stored state once no write is in flight (an accepted upload of an earlier case may still be storing). */
async function quiet(): Promise<string> {
  const until = performance.now() + CASE_MS;
  let now = await snapshot();
  while (now.includes('.tmp-') && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    now = await snapshot();
  }
  return now;
}

/** The stored state once it is back to `expected`, or as it stands after CASE_MS. */
async function settled(expected: string): Promise<string> {
  const until = performance.now() + CASE_MS;
  let now = await snapshot();
  while (now !== expected && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    now = await snapshot();
  }
  return now;
}

/** What every answer must look like, whatever was asked. */
function checkAnswer(c: Case, a: Answer): void {
  expect(a.status, label(c, a)).toBeLessThan(500);
  // Node's own HTTP parser refuses bytes that are no HTTP (a raw non-ASCII path) with a bodiless 400
  // before any middleware runs: nothing to render, so nothing for a CSP to govern.
  if (a.status === 400 && a.body === '' && a.headers['content-security-policy'] === undefined && a.headers.connection === 'close') return;
  expect(a.headers['content-security-policy'], label(c, a)).toContain("default-src 'none'");
  expect(a.body, label(c, a)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|Error:/);
  if (a.status < 400 || c.method === 'HEAD') return;
  const pathname = c.path.split('?')[0]!;
  const type = String(a.headers['content-type']);
  // A sentence written for the source: the framework's own wording ("Failed to decode param '%'") is no answer.
  const clear = /^\S.{10,}[.?!]$/s;
  if (pathname.startsWith('/api/')) {
    expect(type, label(c, a)).toContain('application/json');
    expect((JSON.parse(a.body) as { error?: unknown }).error, label(c, a)).toMatch(clear);
  } else if (!/^\/api\//i.test(pathname)) {
    expect(type, label(c, a)).toContain('text/html');
    const message = /<p( class="warning" role="alert")?>([^<]*)<\/p>/.exec(a.body)?.[2] ?? '';
    expect(message.replaceAll('&quot;', '"').replaceAll('&#39;', "'"), label(c, a)).toMatch(clear);
  }
}

describe('every source route, under generated requests', () => {
  test('no 5xx, clear 4xx refusals with the CSP header, bounded time, nothing stored by a refusal', async () => {
    await fc.assert(fc.asyncProperty(caseArb, async (make) => {
      const c = make();
      const before = await snapshot();
      const started = performance.now();
      const a = await send(c);
      expect(performance.now() - started, show(c)).toBeLessThan(CASE_MS);
      checkAnswer(c, a);
      if (a.status >= 400 || c.method === 'GET' || c.method === 'HEAD') expect(await snapshot(), label(c, a)).toBe(before);
    }), { numRuns: 600 });
  });
});

describe('codename logins, whose wrong answers come after a delay', () => {
  test('generated codenames and login secrets, a few at once: the same properties', async () => {
    const { kdfSalt } = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string };
    const { loginSecret } = await deriveSourceSecrets(real.codename, kdfSalt);
    const word = fc.constantFrom(...EFF_LARGE_WORDLIST.slice(0, 500));
    const codename = fc.oneof(fc.constant(real.codename), fc.array(word, { minLength: 7, maxLength: 7 }).map((w) => w.join(' ')), latin1(120), fc.constant(`  ${real.codename.toUpperCase()} `));
    const login = fc.oneof(fc.constant(loginSecret), fc.stringMatching(/^[0-9a-f]{64}$/), anyJson);
    const loginCase = fc.oneof(
      codename.map((c) => ({ method: 'POST', path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`codename=${encodeURIComponent(c)}`) })),
      login.map((l) => ({ method: 'POST', path: '/api/sources/login', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ login: l })) })),
    );
    // Three at once: the no-JS logins queue behind one another (one PBKDF2 at a time), well within the bound.
    await fc.assert(fc.asyncProperty(fc.array(loginCase, { minLength: 3, maxLength: 3 }), async (batch) => {
      const before = await snapshot();
      const started = performance.now();
      const answers = await Promise.all(batch.map((c) => send(c)));
      expect(performance.now() - started).toBeLessThan(CASE_MS);
      batch.forEach((c, i) => checkAnswer(c, answers[i]!));
      // A right codename marks the replies it shows as read; anything refused changes nothing.
      if (answers.every((a) => a.status >= 400)) expect(await snapshot()).toBe(before);
    }), { numRuns: 6 });
  });
});

describe('requests whose Content-Length lies', () => {
  /** Sends the bytes by hand, declaring `declared` bytes; if that is more than sent, the client stops writing. The statuses answered. */
  function sendRaw(c: Case, declared: number): Promise<number[]> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve([...Buffer.concat(chunks).toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])));
      };
      let timer = setTimeout(finish, CASE_MS);
      // The answer is what counts; a connection the server keeps open afterwards is not waited for.
      socket.on('data', (d: Buffer) => {
        if (chunks.push(d) === 1) (clearTimeout(timer), (timer = setTimeout(finish, 300)));
      });
      socket.on('close', finish);
      socket.on('error', () => undefined);
      const head = [`${c.method} ${c.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${declared}`, '', ''];
      socket.write(concat(Buffer.from(head.join('\r\n'), 'latin1'), c.body));
      if (declared > c.body.length) socket.end();
    });
  }

  test('shorter or longer than the body: an answer under 500 (or a closed connection), promptly, nothing stored', async () => {
    await fc.assert(fc.asyncProperty(caseArb, fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0), async (make, delta) => {
      const c = make();
      const declared = Math.max(0, c.body.length + delta);
      if (declared === c.body.length) return;
      const before = await quiet();
      const started = performance.now();
      const statuses = await sendRaw(c, declared);
      expect(performance.now() - started, show(c)).toBeLessThan(CASE_MS);
      for (const status of statuses) expect(status, show(c)).toBeLessThan(500);
      // A broken-off no-JS upload is discarded after the connection is gone: wait for that, within bounds.
      if (statuses.length === 0 || statuses[0]! >= 400) expect(await settled(before), show(c)).toBe(before);
    }), { numRuns: 150 });
  });
});

test('the server is still up and answering', async () => {
  expect((await fetch(`${instance.sourceUrl}/api/config`)).status).toBe(200);
  expect((await fetch(`${instance.sourceUrl}/`)).status).toBe(200);
});
