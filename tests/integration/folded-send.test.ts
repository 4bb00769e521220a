import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, generateSourceKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { folded, held, newSecret } from '../helpers/folded.ts';

// POST /api/sends (docs/envelope.md "Folded sends"): registration, opening, a part, the manifest and
// completion in one request. Hostile framing, wrong recipients and repeats: refused or answered
// "done", and nothing stored by a refusal, nothing duplicated by a repeat.
const PART = 64 * 1024;
let instance: Instance;
let journalist: PublicKey;
let stranger: PublicKey;
let privateArmored: string;
let token: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(8 * PART) });
  const pair = await generateKeyPair({ name: 'Jo' });
  privateArmored = pair.privateKey;
  await instance.addJournalist('jo', pair.publicKey);
  journalist = (await readJournalistKey(pair.publicKey)).key;
  stranger = (await readJournalistKey((await generateKeyPair({ name: 'Eve' })).publicKey)).key;
  token = (await registerApiSource(instance.sourceUrl)).token;
});
afterAll(() => instance?.stop());

const url = () => instance.sourceUrl;
const state = async () => ({ objects: await instance.objectFiles(), rows: instance.rows() });

/** An item sealed as the page seals it, for the submission the secret names. */
async function sealed(secret: string, size: number, { to = [journalist], manifestTo = to }: { to?: PublicKey[]; manifestTo?: PublicKey[] } = {}) {
  const data = new Uint8Array(size).map((_, i) => i % 251);
  const sealer = new SubmissionSealer({ submission: sendIdOf(secret), name: 'a.txt', type: 'text/plain', recipients: to, partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const p of sealFile(sealer, size, async (s, e) => data.subarray(s, e))) parts.push(p);
  const manifest = await sealer.sealManifest();
  if (manifestTo !== to) {
    const other = new SubmissionSealer({ submission: sendIdOf(secret), name: 'a.txt', type: 'text/plain', recipients: manifestTo, partSize: PART });
    for await (const _ of sealFile(other, size, async (s, e) => data.subarray(s, e))) void _;
    return { data, parts, manifest: await other.sealManifest() };
  }
  return { data, parts, manifest };
}

async function newRegistration() {
  const { kdfSalt } = (await (await fetch(`${url()}/api/config`)).json()) as { kdfSalt: string };
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(generateCodename(), kdfSalt);
  const { publicKey, privateKey } = await generateSourceKeyPair({ passphrase: keyPassphrase });
  return { login: loginSecret, publicKey, privateKey };
}

const completed = () => (instance.rows().submissions as { state: string }[]).filter((r) => r.state === 'complete').length;

describe('a one-part item in one request', () => {
  test('a returning source: stored and complete, and a journalist opens it', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 1000);
    const before = completed();
    const res = await folded(url(), { secret, token, head: { parts: 1, n: 1 }, part: item.parts[0], manifest: item.manifest });
    expect(res).toEqual({ status: 200, body: { done: true } });
    expect(completed()).toBe(before + 1);
    const { manifest, parts } = instance.store.submissions.objects(sendIdOf(secret));
    const key = await readPrivateKey(privateArmored);
    const opened = await openManifest({ data: new Uint8Array(await instance.store.blobs.read(manifest)), keys: [key] });
    const out: Uint8Array[] = [];
    await openSubmission({ manifest: opened, keys: [key], readPart: async (n) => new Uint8Array(await instance.store.blobs.read(parts[n - 1]!)), write: async (b) => void out.push(b) });
    expect(Buffer.concat(out)).toEqual(Buffer.from(item.data));
  });

  test('a new source: registered, opened, stored and completed in one request; its repeat registers nobody and stores nothing', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 500);
    const register = await newRegistration();
    const sources = instance.rows().sources!.length;
    const res = await folded(url(), { secret, head: { parts: 1, n: 1, register }, part: item.parts[0], manifest: item.manifest });
    expect(res.status).toBe(200);
    expect(res.body.done).toBe(true);
    expect(res.body.sourceToken).toMatch(/./);
    expect(instance.rows().sources!.length).toBe(sources + 1);
    const after = await state();
    // The answer was lost: the page sends the same request again.
    const again = await folded(url(), { secret, head: { parts: 1, n: 1, register }, part: item.parts[0], manifest: item.manifest });
    expect(again.status).toBe(200);
    expect(again.body.done).toBe(true);
    expect(again.body.sourceToken).toMatch(/./);
    expect(await state()).toEqual(after);
    expect(await held(url(), secret)).toEqual({ status: 200, body: { done: true } });
  });

  test('a repeated registration with the same login secret and another key is refused, storing nothing', async () => {
    const register = await newRegistration();
    const first = newSecret();
    const a = await sealed(first, 10);
    expect((await folded(url(), { secret: first, head: { parts: 1, n: 1, register }, part: a.parts[0], manifest: a.manifest })).status).toBe(200);
    const other = await generateSourceKeyPair({ passphrase: 'x'.repeat(40) });
    const before = await state();
    const secret = newSecret();
    const b = await sealed(secret, 10);
    const res = await folded(url(), { secret, head: { parts: 1, n: 1, register: { ...register, ...other } }, part: b.parts[0], manifest: b.manifest });
    expect(res.status).toBe(409);
    expect(await state()).toEqual(before);
  });
});

describe('a multi-part item: opened with its first part, completed by its last with the manifest', () => {
  test('parts in any order, two at once; whichever request makes it whole completes it; repeats change nothing', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 3 * PART - 10);
    const n = item.parts.length;
    expect(n).toBeGreaterThanOrEqual(3);
    const last = folded(url(), { secret, token, head: { parts: n, n }, part: item.parts[n - 1], manifest: item.manifest });
    const results = await Promise.all([last, ...item.parts.slice(0, -1).map((p, i) => folded(url(), { secret, token, head: { parts: n, n: i + 1 }, part: p }))]);
    expect(results.every((r) => r.status === 200)).toBe(true);
    expect(results.filter((r) => r.body.done).length).toBeGreaterThanOrEqual(1);
    expect(await held(url(), secret)).toEqual({ status: 200, body: { done: true } });
    const after = await state();
    expect((await folded(url(), { secret, token, head: { parts: n, n: 1 }, part: item.parts[0] })).body).toEqual({ done: true });
    expect(await state()).toEqual(after);
  });

  test('many parts at once, read into reused body buffers (a refused one among them): each stored byte for byte as sent', async () => {
    const items = await Promise.all(Array.from({ length: 4 }, async () => {
      const secret = newSecret();
      return { secret, ...(await sealed(secret, 3 * PART - 100)) };
    }));
    const stray = newSecret();
    const refused = await sealed(stray, PART, { to: [stranger] });
    const sends = items.flatMap((it) => it.parts.map((p, i) => folded(url(), { secret: it.secret, token, head: { parts: it.parts.length, n: i + 1 }, part: p, manifest: i === it.parts.length - 1 ? it.manifest : null })));
    const results = await Promise.all([...sends, folded(url(), { secret: stray, token, head: { parts: 2, n: 1 }, part: refused.parts[0] })]);
    expect(results.map((r) => r.status)).toEqual([...sends.map(() => 200), 409]);
    for (const it of items) {
      const { manifest, parts } = instance.store.submissions.objects(sendIdOf(it.secret));
      expect(Buffer.from(await instance.store.blobs.read(manifest))).toEqual(Buffer.from(it.manifest));
      for (const [i, name] of parts.entries()) expect(Buffer.from(await instance.store.blobs.read(name))).toEqual(Buffer.from(it.parts[i]!));
    }
    // Each reserved its declared length against the free-space floor until its route settled (the refused one too).
    expect(instance.store.space.reserved()).toBe(0);
  });

  test('after a lost request the server says what it holds, and the manifest may go alone', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 2 * PART);
    const n = item.parts.length;
    expect(await held(url(), secret)).toMatchObject({ status: 404 });
    for (let i = 1; i <= n; i++) expect((await folded(url(), { secret, token, head: { parts: n, n: i }, part: item.parts[i - 1] })).body).toEqual({ done: false });
    expect(await held(url(), secret)).toEqual({ status: 200, body: { done: false, parts: Array.from({ length: n }, (_, i) => i + 1), manifest: false } });
    expect((await folded(url(), { secret, head: { parts: n, n: 0 }, manifest: item.manifest })).body).toEqual({ done: true });
  });

  test('reserved items of the same send are opened by the first request and need no session afterwards', async () => {
    const [secret, other] = [newSecret(), newSecret()];
    const a = await sealed(secret, 10);
    expect((await folded(url(), { secret, token, head: { parts: 1, n: 1, reserve: [{ secret: other, parts: 1 }] }, part: a.parts[0], manifest: a.manifest })).body).toEqual({ done: true });
    expect(await held(url(), other)).toEqual({ status: 200, body: { done: false, parts: [], manifest: false } });
    const b = await sealed(other, 10);
    // No session (as after a restart): the secret alone reaches the reserved item.
    expect((await folded(url(), { secret: other, head: { parts: 1, n: 1 }, part: b.parts[0], manifest: b.manifest })).body).toEqual({ done: true });
  });
});

describe('hostile requests: refused, nothing stored', () => {
  const refusals: [string, () => Promise<{ status: number }>, number][] = [];
  const refuse = (name: string, status: number, make: () => Promise<{ status: number }>) => refusals.push([name, make, status]);
  let one: { secret: string; parts: Uint8Array[]; manifest: Uint8Array };
  beforeAll(async () => {
    const secret = newSecret();
    one = { secret, ...(await sealed(secret, 100)) };
  });
  const ok = () => ({ secret: one.secret, token, head: { parts: 1, n: 1 }, part: one.parts[0], manifest: one.manifest });
  refuse('declared lengths that do not add up to the body', 400, () => folded(url(), { ...ok(), lengths: `${JSON.stringify({ parts: 1 }).length},${one.parts[0]!.length + 5},${one.manifest.length}` }));
  refuse('bytes past the declared pieces', 400, () => folded(url(), { ...ok(), extra: 7 }));
  refuse('lengths not three numbers', 400, () => folded(url(), { ...ok(), lengths: '1,2' }));
  refuse('a head declared shorter than two bytes (malformed, not too large)', 400, () => folded(url(), { ...ok(), lengths: `1,${one.parts[0]!.length},${one.manifest.length}` }));
  refuse('a part over the limit, declared', 413, () => folded(url(), { ...ok(), lengths: `20,${100 * PART},0` }));
  refuse('no secret', 404, () => folded(url(), { ...ok(), secret: undefined }));
  refuse('a head that is not JSON', 400, () => folded(url(), { ...ok(), head: 'not json' as unknown as Record<string, unknown> }));
  refuse('an unknown field in the head', 400, () => folded(url(), { ...ok(), head: { parts: 1, n: 1, extra: 1 } }));
  refuse('a part number past the count', 400, () => folded(url(), { ...ok(), head: { parts: 1, n: 2 } }));
  refuse('a part number that is no number', 400, () => folded(url(), { ...ok(), head: { parts: 1, n: '01' } }));
  refuse('a part number in the head (the path names it)', 400, () => folded(url(), { ...ok(), head: { parts: 1, n: 1 }, lengths: undefined, extraHead: { n: 1 } }));
  refuse('a manifest with a part that is not the last', 400, () => folded(url(), { ...ok(), head: { parts: 2, n: 1 } }));
  refuse('no session and no registration', 401, () => folded(url(), { ...ok(), token: undefined }));
  refuse('a reserve naming the request itself', 400, () => folded(url(), { ...ok(), head: { parts: 1, n: 1, reserve: [{ secret: one.secret, parts: 1 }] } }));
  refuse('a malformed registration', 400, () => folded(url(), { ...ok(), token: undefined, head: { parts: 1, n: 1, register: { login: 'x', publicKey: 'a', privateKey: 'b' } } }));
  refuse('a registration with keys that are no source key pair', 400, async () => folded(url(), { ...ok(), token: undefined, head: { parts: 1, n: 1, register: { ...(await newRegistration()), publicKey: (await generateKeyPair({ name: 'X' })).publicKey } } }));
  refuse('a part sealed to a stranger', 409, async () => {
    const s = await sealed(one.secret, 100, { to: [stranger] });
    return folded(url(), { ...ok(), part: s.parts[0] });
  });
  refuse('a manifest sealed to an unknown key too', 409, async () => {
    const s = await sealed(one.secret, 100, { manifestTo: [journalist, stranger] });
    return folded(url(), { ...ok(), manifest: s.manifest });
  });
  refuse('a new source whose registration is fine but whose part is sealed to a stranger', 409, async () => {
    const s = await sealed(one.secret, 100, { to: [stranger] });
    return folded(url(), { ...ok(), token: undefined, head: { parts: 1, n: 1, register: await newRegistration() }, part: s.parts[0] });
  });

  test.each(refusals.map(([name, make, status]) => [name, make, status] as const))('%s', async (_name, make, status) => {
    const before = await state();
    const res = await make();
    expect(res.status).toBe(status);
    expect(await state()).toEqual(before);
  });

  test('a part declared larger than the limit is answered 413 before its body is sent, nothing stored', async () => {
    const before = await state();
    const head = Buffer.from(JSON.stringify({ parts: 1 }));
    const part = 64 * 1024 * 1024;
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${url()}/api/sends/1`, {
        method: 'POST',
        headers: { 'content-type': 'application/octet-stream', 'x-upload-secret': one.secret, 'x-source-token': token, 'x-send-lengths': `${head.length},${part},0`, 'content-length': head.length + part },
      });
      req.on('response', (res) => resolve(res.statusCode ?? 0));
      req.on('error', reject);
      req.write(head); // and nothing more: the answer must not wait for the 64 MiB
    });
    expect(status).toBe(413);
    expect(await state()).toEqual(before);
  });

  test('a body cut short of its declared length: refused, nothing stored', async () => {
    const before = await state();
    const head = Buffer.from(JSON.stringify({ parts: 1 }));
    const body = Buffer.concat([head, Buffer.from(one.parts[0]!), Buffer.from(one.manifest)]);
    const port = Number(new URL(url()).port);
    await new Promise<void>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.write([`POST /api/sends/1 HTTP/1.1`, `Host: 127.0.0.1:${port}`, 'Content-Type: application/octet-stream', `X-Upload-Secret: ${one.secret}`, `X-Source-Token: ${token}`,
          `X-Send-Lengths: ${head.length},${one.parts[0]!.length},${one.manifest.length}`, `Content-Length: ${body.length}`, '', ''].join('\r\n'));
        socket.end(body.subarray(0, body.length - 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(await state()).toEqual(before);
    expect(instance.store.space.reserved()).toBe(0); // a body refused while read gives its reservation back
  });
});
