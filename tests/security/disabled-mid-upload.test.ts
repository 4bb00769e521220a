import http from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Threat: a journalist is disabled (left the newsroom, device seized) while a source's upload is
// in flight. Each object was addressed to the keys current when it arrived; the submission must
// not complete for a recipient who is no longer active, on either path.
const PART = 64 * 1024;
const BOUNDARY = 'mid-upload-boundary';
let instance: Instance;
let jo: PublicKey;
let sam: PublicKey;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART) });
  const [a, b] = await Promise.all([generateKeyPair({ name: 'Jo' }), generateKeyPair({ name: 'Sam' })]);
  jo = (await readJournalistKey(a.publicKey)).key;
  sam = (await readJournalistKey(b.publicKey)).key;
  await instance.addJournalist('jo', a.publicKey);
  await instance.addJournalist('sam', b.publicKey);
});
afterAll(() => instance?.stop());
beforeEach(() => instance.store.journalists.setActive(instance.store.journalists.get('sam').id, true));

const disableSam = () => instance.store.journalists.setActive(instance.store.journalists.get('sam').id, false);
// Every upload here is opened with this secret, as a page opens its own, and it goes with every request.
const SECRET = randomBytes(32).toString('hex');
const api = (url: string, init: RequestInit) => fetch(`${instance.sourceUrl}/api${url}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-upload-secret': SECRET } });
const octets = (b: Uint8Array): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: b as BodyInit });

/** Uploads every object of a file addressed to `recipients`; returns the submission id, not yet completed. */
async function uploadAll(token: string, recipients: PublicKey[], file: Buffer): Promise<string> {
  const created = await api('/submissions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 3, secret: SECRET }) });
  const { submission } = (await created.json()) as { submission: string };
  const sealer = new SubmissionSealer({ submission, name: 'memo.pdf', type: 'application/pdf', recipients, partSize: PART });
  let n = 0;
  for await (const part of sealFile(sealer, file.length, async (s, e) => new Uint8Array(file.subarray(s, e)))) {
    expect((await api(`/submissions/${submission}/parts/${++n}`, octets(part))).status).toBe(204);
  }
  expect(n).toBe(3);
  expect((await api(`/submissions/${submission}/manifest`, octets(await sealer.sealManifest()))).status).toBe(204);
  return submission;
}

describe('with JavaScript: completion re-checks the recipients', () => {
  test('every object arrived for jo and sam, then sam is disabled: completion is refused and the objects are dropped', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const objectsBefore = await instance.objectFiles();
    const id = await uploadAll(token, [jo, sam], randomBytes(2 * PART + 10));
    disableSam();
    const res = await api(`/submissions/${id}/complete`, { method: 'POST' });
    expect(res.status).toBe(409);
    // The page's own retry reacts to this: it fetches the current keys and encrypts again.
    const body = (await res.json()) as { error: string; code: string };
    expect(body.error).toMatch(/journalist keys changed/);
    expect(body.code).toBe('wrong_recipients'); // the code the page's retry keys on, not the wording
    expect(instance.store.submissions.listComplete().map((s) => s.id)).not.toContain(id);
    expect(await instance.objectFiles()).toEqual(objectsBefore);
  });

  test('sent again for the current keys, it completes', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    disableSam();
    const id = await uploadAll(token, [jo], randomBytes(2 * PART + 10));
    expect((await api(`/submissions/${id}/complete`, { method: 'POST' })).status).toBe(204);
    expect(instance.store.submissions.listComplete().map((s) => s.id)).toContain(id);
  });
});

describe('without JavaScript: the server encrypted as the bytes arrived', () => {
  test('sam is disabled mid-upload: the source is told, and nothing is kept', async () => {
    const before = { objects: await instance.objectFiles(), complete: instance.store.submissions.listComplete().length };
    const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
    const answered = new Promise<{ status: number; body: string }>((resolve, reject) => {
      req.on('response', (res) => {
        let body = '';
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
    });
    req.write(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="memo.pdf"\r\nContent-Type: application/pdf\r\n\r\n`);
    req.write(randomBytes(PART + 1000));
    await until(async () => (await instance.objectFiles()).length > before.objects.length, 10_000, 'part 1 to be stored');
    disableSam();
    req.end(Buffer.concat([randomBytes(100), Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]));
    const { status, body } = await answered;
    expect(status).toBe(409);
    expect(body).toMatch(/journalist keys changed/);
    await until(async () => (await instance.objectFiles()).length === before.objects.length, 10_000, 'the upload to be discarded');
    expect(instance.store.submissions.listComplete()).toHaveLength(before.complete);
  });
});

describe('the completion check costs no more than it must (an outside review: 200 calls read 100,000 files)', () => {
  test('a submission with parts missing is refused before any object is read', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const created = await api('/submissions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 3, secret: SECRET }) });
    const { submission } = (await created.json()) as { submission: string };
    const part = await encryptObject({ data: new Uint8Array(PART), recipients: [jo, sam] });
    expect((await api(`/submissions/${submission}/parts/1`, octets(part))).status).toBe(204);
    // Its only stored object is gone from under it: a read would fail differently.
    await rm(path.join(instance.config.dataDir, 'objects', instance.store.submissions.pendingObjects(submission)[0]!));
    const res = await api(`/submissions/${submission}/complete`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/has not arrived yet/);
  });

  test('an object replaced while the check runs is a 409 to retry, not a 500', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const id = await uploadAll(token, [jo, sam], randomBytes(2 * PART + 10));
    await rm(path.join(instance.config.dataDir, 'objects', instance.store.submissions.pendingObjects(id)[1]!));
    const res = await api(`/submissions/${id}/complete`, { method: 'POST' });
    expect(res.status).toBe(409);
    expect(((await res.json()) as { error: string }).error).toMatch(/replaced .* try again/);
  });
});
