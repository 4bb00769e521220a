import http from 'node:http';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { folded, foldedRequest, newSecret } from '../helpers/folded.ts';

// The folded route reads the item's state twice: before the body (which space class the request
// needs) and once the body is in (what the request does). Between the two the body arrives, which
// over Tor takes tens of seconds for a part, and another request may complete the item meanwhile:
// the second read must see that, and answer "done" like any repeat, not act on the first read.
const PART = 64 * 1024;
let instance: Instance;
let keys: PublicKey[];
let token: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(8 * PART) });
  const pair = await generateKeyPair({ name: 'jo' });
  await instance.addJournalist('jo', pair.publicKey);
  keys = [(await readJournalistKey(pair.publicKey)).key];
  token = (await registerApiSource(instance.sourceUrl)).token;
});
afterAll(() => instance?.stop());

test('an item completed by another request while this one’s body arrives: this one is answered done', async () => {
  const secret = newSecret();
  const data = new Uint8Array(PART + 10).fill(3);
  const sealer = new SubmissionSealer({ submission: sendIdOf(secret), name: 'a.bin', type: 'application/octet-stream', recipients: keys, partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const p of sealFile(sealer, data.length, async (s, e) => data.subarray(s, e))) parts.push(p);
  const manifest = await sealer.sealManifest();
  expect((await folded(instance.sourceUrl, { secret, token, head: { parts: 2, n: 1 }, part: parts[0] })).body).toEqual({ done: false });

  // The route's first read for this request: its headers are in, its body not yet.
  const sends = instance.store.sends;
  const state = sends.state;
  let firstRead!: () => void;
  const read = new Promise<void>((resolve) => (firstRead = resolve));
  sends.state = (s) => (s === secret && firstRead(), state(s));
  try {
    const late = foldedRequest({ n: 2, head: { parts: 2 }, part: parts[1], secret, token });
    let req!: http.ClientRequest;
    const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
      req = http.request(`${instance.sourceUrl}${late.path}`, { method: 'POST', headers: { ...late.headers, 'content-length': String(late.body.length) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', reject);
    });
    req.write(late.body.subarray(0, 100));
    await read;
    // Meanwhile the item's last piece and manifest arrive in another request, which completes it.
    const other = await folded(instance.sourceUrl, { secret, token, head: { parts: 2, n: 2 }, part: parts[1], manifest });
    req.end(late.body.subarray(100));
    const { status, text } = await answer;
    expect(other).toMatchObject({ status: 200, body: { done: true } });
    expect({ status, body: JSON.parse(text) as unknown }).toEqual({ status: 200, body: { done: true } });
  } finally {
    sends.state = state;
  }
  const rows = (instance.rows().submissions as { id: string; state: string }[]).filter((r) => r.id === sendIdOf(secret));
  expect(rows.map((r) => r.state)).toEqual(['complete']);
});
