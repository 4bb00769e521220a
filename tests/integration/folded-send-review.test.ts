import http from 'node:http';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, generateSourceKeyPair, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { folded, foldedRequest, newSecret } from '../helpers/folded.ts';

// The folded send route (POST /api/sends) against security review R2: a journalist removed while a
// one-part item is written, a pending item's secret opening new items, a repeat registration probing
// logins, and an encoded body escaping its declared lengths. Each refused, nothing stored.
const PART = 64 * 1024;
let instance: Instance;
let keys: PublicKey[];
let token: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(8 * PART) });
  keys = [];
  for (const name of ['jo', 'eve']) {
    const pair = await generateKeyPair({ name });
    await instance.addJournalist(name, pair.publicKey);
    keys.push((await readJournalistKey(pair.publicKey)).key);
  }
  token = (await registerApiSource(instance.sourceUrl)).token;
});
afterAll(() => instance?.stop());

const url = () => instance.sourceUrl;
type Row = { id: string; source_id: string; state: string };
const row = (secret: string) => (instance.rows().submissions as Row[]).find((r) => r.id === sendIdOf(secret));

async function sealed(secret: string, size: number, recipients = keys) {
  const data = new Uint8Array(size).map((_, i) => i % 251);
  const sealer = new SubmissionSealer({ submission: sendIdOf(secret), name: 'a.txt', type: 'text/plain', recipients, partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const p of sealFile(sealer, size, async (s, e) => data.subarray(s, e))) parts.push(p);
  return { parts, manifest: await sealer.sealManifest() };
}

async function newRegistration() {
  const { kdfSalt } = (await (await fetch(`${url()}/api/config`)).json()) as { kdfSalt: string };
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(generateCodename(), kdfSalt);
  const { publicKey, privateKey } = await generateSourceKeyPair({ passphrase: keyPassphrase });
  return { login: loginSecret, publicKey, privateKey };
}

describe('reserve: opening other items takes the session or a registration', () => {
  test("a pending item's secret alone opens nothing new; with the session, or as a repeat of what is open, it goes", async () => {
    const s1 = newSecret();
    const two = await sealed(s1, PART + 10);
    expect((await folded(url(), { secret: s1, token, head: { parts: 2, n: 1 } , part: two.parts[0] })).status).toBe(200);
    const s2 = newSecret();
    const refused = await folded(url(), { secret: s1, head: { parts: 2, n: 1, reserve: [{ secret: s2, parts: 1 }] }, part: two.parts[0] });
    expect(refused.status).toBe(400);
    expect(refused.body.error).toMatch(/session/);
    expect(row(s2)).toBeUndefined();
    // The page's own first request, with its session: opens it. Repeated without (a restart ended the session): nothing new, allowed.
    expect((await folded(url(), { secret: s1, token, head: { parts: 2, n: 1, reserve: [{ secret: s2, parts: 1 }] }, part: two.parts[0] })).status).toBe(200);
    expect(row(s2)?.source_id).toBe(row(s1)?.source_id);
    expect((await folded(url(), { secret: s1, head: { parts: 2, n: 1, reserve: [{ secret: s2, parts: 1 }] }, part: two.parts[0] })).status).toBe(200);
  });
});

describe('a repeated registration on a completed item', () => {
  test('logs in the source that sent it, and no other; an unknown and another existing login get the same refusal', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 200);
    const register = await newRegistration();
    const first = await folded(url(), { secret, head: { parts: 1, n: 1, register }, part: item.parts[0], manifest: item.manifest });
    expect(first).toMatchObject({ status: 200, body: { done: true, sourceToken: expect.any(String) } });
    const again = await folded(url(), { secret, head: { parts: 1, n: 1, register }, part: item.parts[0], manifest: item.manifest });
    expect(again).toMatchObject({ status: 200, body: { done: true, sourceToken: expect.any(String) } });
    // Another source's own login and key (as someone who knows both would send them), and a login nobody has.
    const other = await registerApiSource(url());
    const { kdfSalt } = (await (await fetch(`${url()}/api/config`)).json()) as { kdfSalt: string };
    const otherLogin = (await deriveSourceSecrets(other.codename, kdfSalt)).loginSecret;
    const answers = [];
    for (const probe of [{ ...register, login: otherLogin, privateKey: other.privateKey }, { ...register, login: (await newRegistration()).login }]) {
      answers.push(await folded(url(), { secret, head: { parts: 1, n: 1, register: probe }, part: item.parts[0], manifest: item.manifest }));
    }
    expect(answers[0]!.status).toBe(409);
    expect(answers[1]).toEqual(answers[0]);
    expect(answers[0]!.body.sourceToken).toBeUndefined();
  });
});

describe('the body is what was declared', () => {
  test('Content-Encoding is refused before a byte is read (415), nothing stored', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 700);
    const head = Buffer.from(JSON.stringify({ parts: 1 }));
    const body = deflateSync(Buffer.concat([head, item.parts[0]!, item.manifest]));
    const lengths = `${head.length},${item.parts[0]!.length},${body.length - head.length - item.parts[0]!.length}`;
    const objects = (await instance.objectFiles()).length;
    for (const encoding of ['deflate', 'identity']) {
      const res = await fetch(`${url()}/api/sends/1`, { method: 'POST', body, headers: { 'content-type': 'application/octet-stream', 'content-encoding': encoding, 'x-upload-secret': secret, 'x-send-lengths': lengths, 'x-source-token': token } });
      expect(res.status).toBe(415);
      expect(((await res.json()) as { error: string }).error).toMatch(/Content-Encoding/);
    }
    expect(row(secret)).toBeUndefined();
    expect(await instance.objectFiles()).toHaveLength(objects);
  });
});

describe('the keys are read again once a one-part item is on disk', () => {
  test('a journalist disabled while its objects are written: refused (wrong_recipients), nothing stored or completed', async () => {
    const secret = newSecret();
    const item = await sealed(secret, 300);
    const objects = (await instance.objectFiles()).length;
    const blobs = instance.store.blobs as { put: (d: Uint8Array) => Promise<string> };
    const put = blobs.put.bind(blobs);
    let once = true;
    blobs.put = async (d) => {
      const name = await put(d);
      if (once) {
        once = false;
        const eve = instance.store.journalists.list().find((j) => j.username === 'eve')!;
        instance.store.journalists.setActive(eve.id, false);
      }
      return name;
    };
    try {
      const res = await folded(url(), { secret, token, head: { parts: 1, n: 1 }, part: item.parts[0], manifest: item.manifest });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('wrong_recipients');
    } finally {
      blobs.put = put;
    }
    expect(once).toBe(false);
    expect(row(secret)).toBeUndefined();
    expect((instance.rows().submission_keys as { submission_id: string }[]).filter((r) => r.submission_id === sendIdOf(secret))).toEqual([]);
    expect(await instance.objectFiles()).toHaveLength(objects);
  });
});

// The route reads the item's state before the body (which space class it needs) and again once the
// body is in: over Tor a part takes tens of seconds to arrive, and another request may complete the
// item meanwhile. The second read must see that and answer "done" like any repeat (final review).
describe('an item completed while a request body arrives', () => {
  test('that request is answered done, not acted on as the item was before its body', async () => {
    const secret = newSecret();
    // To the keys active now (a test above disables one).
    const active = await Promise.all(instance.store.journalists.active().map(async (j) => (await readJournalistKey(j.publicKey)).key));
    const item = await sealed(secret, PART + 10, active);
    expect((await folded(url(), { secret, token, head: { parts: 2, n: 1 }, part: item.parts[0] })).body).toEqual({ done: false });
    // The route's first read for the late request: its headers are in, its body not yet.
    const sends = instance.store.sends;
    const state = sends.state;
    let firstRead!: () => void;
    const read = new Promise<void>((resolve) => (firstRead = resolve));
    sends.state = (s) => (s === secret && firstRead(), state(s));
    try {
      const late = foldedRequest({ n: 2, head: { parts: 2 }, part: item.parts[1], secret, token });
      let req!: http.ClientRequest;
      const response = new Promise<http.IncomingMessage>((resolve, reject) => {
        req = http.request(`${url()}${late.path}`, { method: 'POST', headers: { ...late.headers, 'content-length': String(late.body.length) } }, resolve).on('error', reject);
      });
      req.write(late.body.subarray(0, 100));
      await read;
      const other = await folded(url(), { secret, token, head: { parts: 2, n: 2 }, part: item.parts[1], manifest: item.manifest });
      req.end(late.body.subarray(100));
      const res = await response;
      const chunks: Buffer[] = [];
      for await (const c of res) chunks.push(c as Buffer);
      expect(other).toMatchObject({ status: 200, body: { done: true } });
      expect({ status: res.statusCode, body: JSON.parse(Buffer.concat(chunks).toString()) as unknown }).toEqual({ status: 200, body: { done: true } });
    } finally {
      sends.state = state;
    }
    expect(row(secret)?.state).toBe('complete');
  });
});
