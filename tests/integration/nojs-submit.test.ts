import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { exportAndOpen, removeDir } from '../helpers/decrypt.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';

// The JavaScript-off path: the server encrypts as bytes arrive, never holds more than a part,
// and keeps nothing from a form that did not arrive whole.
const PART = 64 * 1024;
const BOUNDARY = 'sealdrop-test-boundary';
let instance: Instance;
let privateKey: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(8 * PART) });
  const pair = await generateKeyPair({ name: 'Jo' });
  privateKey = pair.privateKey;
  await instance.addJournalist('jo', pair.publicKey);
});
afterAll(() => instance?.stop());

const fileHead = (name: string, field = 'files') =>
  Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${field}"; filename="${name}"\r\nContent-Type: application/pdf\r\n\r\n`);
const fieldPart = (name: string, value: string) => Buffer.from(`--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`);
const end = Buffer.from(`--${BOUNDARY}--\r\n`);
const post = (body: Buffer, type = `multipart/form-data; boundary=${BOUNDARY}`) =>
  fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': type }, body: body as BodyInit, redirect: 'manual' });
const state = async () => ({ objects: await instance.objectFiles(), rows: instance.rows() });

test('files and a message become submissions a journalist decrypts; a new source is shown a server-made codename once', async () => {
  const file = randomBytes(2 * PART + 99);
  const body = Buffer.concat([fileHead('../../Übersicht Q3 отчёт.pdf'), file, Buffer.from('\r\n'), fieldPart('message', 'Page 4 is the one.'), end]);
  const res = await post(body);
  expect(res.status).toBe(200);
  const page = await res.text();
  expect(page).toMatch(/<p class="codename" id="codename" dir="ltr">(\w+ ){6}\w+<\/p>/);
  expect(page).toContain('the server made this codename and keeps only a fingerprint of it');
  expect(res.headers.get('set-cookie')).toMatch(/^__Host-sealdrop-source=[\w-]+; Path=\/; HttpOnly; Secure; SameSite=Strict$/);
  const { out, opened } = await exportAndOpen(instance.store, privateKey);
  // busboy keeps only the base name; the journalist's CLI sanitises again on decryption.
  const doc = opened.find((o) => o.manifest.name === 'Übersicht Q3 отчёт.pdf');
  expect(doc?.plaintext.equals(file)).toBe(true);
  expect(doc?.manifest.partCount).toBe(3);
  expect(doc?.manifest.sha256).toBe(createHash('sha256').update(file).digest('hex')); // a form under 64 MiB
  expect(opened.find((o) => o.manifest.name === 'message.txt')?.plaintext.toString()).toBe('Page 4 is the one.');
  expect(new Set(opened.map((o) => o.designation)).size).toBe(1);
  await removeDir(out);
  // What it declared was reserved against the free-space floor until its parts were written: nothing is left held.
  await until(async () => instance.store.space.reserved() === 0, 5_000, 'the reservation to be given back');
});

test('a form that hides its length (as one over 64 MiB): its manifest has no whole-file SHA-256, and the journalist opens it by the part digests', async () => {
  const file = randomBytes(2 * PART + 5);
  const chunks = [fileHead('long.bin'), file, Buffer.from('\r\n'), end];
  const body = new ReadableStream({ pull: (c) => void (chunks.length ? c.enqueue(chunks.shift()) : c.close()) });
  // It reserves nothing at the door (no length to reserve); each sealed part asks the floor for its own room as it arrives.
  const space = instance.store.space;
  const ensure = space.ensure;
  const asked: number[] = [];
  space.ensure = (bytes, floor) => (asked.push(bytes), ensure(bytes, floor));
  const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body, duplex: 'half', redirect: 'manual' } as RequestInit).finally(() => (space.ensure = ensure));
  expect(res.status).toBe(200);
  expect(asked[0]).toBe(0);
  expect(asked.slice(1)).toHaveLength(3); // three sealed parts: two whole (a part and its envelope) and the last 5 bytes'
  expect(asked.slice(1, 3).every((b) => b > PART)).toBe(true);
  await until(async () => space.reserved() === 0, 5_000, 'the reservations to be given back');
  const { out, opened } = await exportAndOpen(instance.store, privateKey);
  const doc = opened.find((o) => o.manifest.name === 'long.bin');
  expect(doc?.plaintext.equals(file)).toBe(true);
  expect(doc?.manifest.sha256).toBeUndefined();
  await removeDir(out);
});

test('parts are encrypted and stored while the upload is still arriving; a broken-off upload leaves nothing', async () => {
  const before = await state();
  const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` } });
  req.on('error', () => undefined);
  req.write(fileHead('half.pdf'));
  req.write(randomBytes(PART + 1000)); // one whole part and more than busboy's boundary look-ahead
  await until(async () => (await instance.objectFiles()).length > before.objects.length, 10_000, 'part 1 to be stored');
  // Written and fsynced, but recorded only by the completing transaction (store/written.ts).
  expect(instance.rows().parts).toEqual(before.rows.parts);
  req.destroy(); // the source's connection drops
  await until(async () => (await instance.objectFiles()).length === before.objects.length, 10_000, 'the half upload to be discarded');
  expect(await state()).toEqual(before);
  await until(async () => instance.store.space.reserved() === 0, 5_000, 'its reservation to be given back');
});

describe('refusals change nothing', () => {
  test.each([
    ['a file over the size limit', () => Buffer.concat([fileHead('big.bin'), randomBytes(8 * PART + 1), Buffer.from('\r\n'), end]), 413, /larger than/],
    ['a good file followed by an oversized one (all or nothing)', () => Buffer.concat([fileHead('ok.bin'), randomBytes(10), Buffer.from('\r\n'), fileHead('big.bin'), randomBytes(8 * PART + 1), Buffer.from('\r\n'), end]), 413, /larger than/],
    ['an empty form', () => Buffer.concat([fileHead(''), Buffer.from('\r\n'), fieldPart('message', '  '), end]), 400, /Choose a file or write a message/],
    ['an unexpected field', () => Buffer.concat([fieldPart('filename', 'x'), end]), 400, /Unexpected form field/],
    ['an unexpected file field', () => Buffer.concat([fileHead('a.txt', 'other'), Buffer.from('x\r\n'), end]), 400, /Unexpected form field/],
    ['a message over 100 kB', () => Buffer.concat([fieldPart('message', 'x'.repeat(100_001)), end]), 413, /longer than/],
    ['a malformed body', () => Buffer.from(`--${BOUNDARY}\r\nnonsense`), 400, /malformed|broke off/],
  ])('%s', async (_label, body, status, pattern) => {
    const before = await state();
    const res = await post(body());
    expect(res.status).toBe(status);
    const text = await res.text();
    expect(/<p class="warning" role="alert">([^<]*)<\/p>/.exec(text)?.[1]).toMatch(pattern);
    expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(await state()).toEqual(before);
    // Its declared length was reserved against the free-space floor: a refusal gives it back.
    await until(async () => instance.store.space.reserved() === 0, 5_000, 'the reservation to be given back');
  });

  test('a body that is not multipart', async () => {
    const res = await post(Buffer.from('files=x'), 'application/x-www-form-urlencoded');
    expect(res.status).toBe(415);
  });

  test('a cross-site form post', async () => {
    const res = await fetch(`${instance.sourceUrl}/submit`, {
      method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'sec-fetch-site': 'cross-site' }, body: Buffer.concat([fieldPart('message', 'hi'), end]) as BodyInit,
    });
    expect(res.status).toBe(403);
  });
});
