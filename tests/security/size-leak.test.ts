import { randomBytes } from 'node:crypto';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, paddedSize, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Threat: a leak investigator holds the document and a seized server. Exact stored sizes (the
// last part gives the file size, the manifest the length of the file name) would confirm that
// this very document was sent, and on which day. Sizes must only reveal a size class.
const PART = 64 * 1024;
const BOUNDARY = 'size-leak-boundary';
let instance: Instance;
let journalist: PublicKey;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART) });
  const pair = await generateKeyPair({ name: 'Jo' });
  journalist = (await readJournalistKey(pair.publicKey)).key;
  await instance.addJournalist('jo', pair.publicKey);
});
afterAll(() => instance?.stop());

/** The sizes on disk of a submission's objects: its manifest, then each part in order. */
async function storedSizes(id: string): Promise<number[]> {
  const { manifest, parts } = instance.store.submissions.objects(id);
  const objects = path.join(instance.config.dataDir, 'objects');
  return Promise.all([manifest, ...parts].map(async (blob) => (await stat(path.join(objects, blob))).size));
}

const newestSubmission = (before: Set<string>) => instance.store.submissions.listComplete().map((s) => s.id).find((id) => !before.has(id))!;
const known = () => new Set(instance.store.submissions.listComplete().map((s) => s.id));

async function sendWithoutScript(content: Buffer, name: string | null): Promise<string> {
  const before = known();
  const part = name === null
    ? `--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${content.toString('utf8')}\r\n`
    : `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`;
  const body = name === null ? Buffer.from(`${part}--${BOUNDARY}--\r\n`) : Buffer.concat([Buffer.from(part), content, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body: body as BodyInit, redirect: 'manual' });
  expect(res.status).toBe(200);
  return newestSubmission(before);
}

async function sendWithScript(content: Buffer, name: string): Promise<string> {
  const { token } = await registerApiSource(instance.sourceUrl);
  const secret = randomBytes(32).toString('hex'); // the page's secret for this upload: it goes with every request
  const post = (url: string, init: RequestInit) => fetch(`${instance.sourceUrl}/api${url}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-upload-secret': secret } });
  const created = await post('/submissions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: Math.ceil(paddedSize(content.length) / PART), secret }) });
  const { submission } = (await created.json()) as { submission: string };
  const sealer = new SubmissionSealer({ submission, name, type: 'application/pdf', recipients: [journalist], partSize: PART });
  const octets = (b: Uint8Array): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: b as BodyInit });
  let n = 0;
  for await (const part of sealFile(sealer, content.length, async (s, e) => new Uint8Array(content.subarray(s, e)))) {
    expect((await post(`/submissions/${submission}/parts/${++n}`, octets(part))).status).toBe(204);
  }
  expect((await post(`/submissions/${submission}/manifest`, octets(await sealer.sealManifest()))).status).toBe(204);
  expect((await post(`/submissions/${submission}/complete`, { method: 'POST' })).status).toBe(204);
  return submission;
}

describe('stored sizes reveal only a size class', () => {
  // 100,000 and 100,300 bytes share the class 100,352; the names differ in length by 200 characters.
  const small = randomBytes(100_000);
  const larger = randomBytes(100_300);
  const longName = `${'Minutes of the board, confidential '.repeat(6)}.pdf`;

  test('without JavaScript (the server encrypts): two files, two name lengths, identical object sizes', async () => {
    const a = await storedSizes(await sendWithoutScript(small, 'a.pdf'));
    const b = await storedSizes(await sendWithoutScript(larger, longName));
    expect(a).toEqual(b);
    expect(a.length).toBe(1 + Math.ceil(paddedSize(100_000) / PART));
  });

  test('with JavaScript (the page encrypts): the same', async () => {
    const a = await storedSizes(await sendWithScript(small, 'a.pdf'));
    const b = await storedSizes(await sendWithScript(larger, longName));
    expect(a).toEqual(b);
  });

  test('a one-word message and a long one are stored at the same size', async () => {
    const a = await storedSizes(await sendWithoutScript(Buffer.from('yes'), null));
    const b = await storedSizes(await sendWithoutScript(Buffer.from('The ledger on page 14 shows the transfers. '.repeat(90)), null));
    expect(a).toEqual(b);
  });
});
