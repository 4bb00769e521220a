import http from 'node:http';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { exportAndOpen, removeDir } from '../helpers/decrypt.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { spaceOf } from '../../server/store/space.ts';

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
  // Each sealed part reserved its room against the free-space floor until it was written: nothing is left held.
  await until(async () => instance.store.space.reserved() === 0, 5_000, 'the reservations to be given back');
});

test('a form that hides its length (as one over 64 MiB): its manifest has no whole-file SHA-256, and the journalist opens it by the part digests', async () => {
  const file = randomBytes(2 * PART + 5);
  const chunks = [fileHead('long.bin'), file, Buffer.from('\r\n'), end];
  const body = new ReadableStream({ pull: (c) => void (chunks.length ? c.enqueue(chunks.shift()) : c.close()) });
  // It reserves nothing at the door (no form does); each sealed part asks the floor for its own room as it arrives.
  const space = instance.store.space;
  const ensure = space.ensure;
  const asked: number[] = [];
  space.ensure = (bytes, floor) => (asked.push(bytes), ensure(bytes, floor));
  const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body, duplex: 'half', redirect: 'manual' } as RequestInit).finally(() => (space.ensure = ensure));
  expect(res.status).toBe(200);
  expect(asked).toHaveLength(3); // three sealed parts: two whole (a part and its envelope) and the last 5 bytes'
  expect(asked.slice(0, 2).every((b) => b > PART)).toBe(true);
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
    // What its parts reserved against the free-space floor: a refusal gives it back.
    await until(async () => instance.store.space.reserved() === 0, 5_000, 'the reservations to be given back');
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

/** A returning source's cookie (from a first form's answer): its forms skip making a codename. */
async function sourceCookie(): Promise<string> {
  const res = await post(Buffer.concat([fieldPart('message', 'first'), end]));
  expect(res.status).toBe(200);
  return /^([^;]+)/.exec(res.headers.get('set-cookie') ?? '')![1]!;
}

/** A form sent by hand: `head` now, then nothing until the test destroys it (a trickle that has paused). */
function openForm(headers: Record<string, string | number>, head: Buffer): http.ClientRequest {
  const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, ...headers } });
  req.on('error', () => undefined);
  req.write(head);
  return req;
}

// Security review (stop 33), finding 1: a form's declared length is checked at the door, never held, so
// forms that claim the maximum and trickle cannot hold the free space and refuse everyone else.
test('forms declaring the maximum and sending almost nothing hold no free space: a small form after them is stored, not refused (507)', async () => {
  const cookie = await sourceCookie();
  const declared = 8 * PART + 128 * 1024; // within the route's limit (the file's and the form's overhead)
  const real = instance.store.space;
  // The filesystem as the guard sees it: room for one such form above the floor, and 1 KiB more.
  const fake = spaceOf('/unused', { read: async () => instance.config.minFreeBytes + declared + 1024 });
  const decided = { n: 0 };
  const count = <T,>(p: Promise<T>) => p.finally(() => decided.n++);
  fake.check = ((check) => (bytes: number, floor: number) => count(check(bytes, floor)))(fake.check);
  fake.ensure = ((ensure) => (bytes: number, floor: number) => count(ensure(bytes, floor)))(fake.ensure);
  instance.store.space = fake;
  const slow: http.ClientRequest[] = [];
  try {
    for (let i = 0; i < 3; i++) slow.push(openForm({ 'content-length': declared, cookie }, Buffer.concat([fileHead(`slow${i}.bin`), randomBytes(1000)])));
    await until(() => decided.n === 3, 10_000, 'the three forms to pass the door');
    expect(fake.reserved()).toBe(0);
    const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, cookie }, body: Buffer.concat([fileHead('small.pdf'), randomBytes(2000), Buffer.from('\r\n'), end]) as BodyInit, redirect: 'manual' });
    expect(res.status).toBe(303); // stored: a returning source is sent on to /sent
  } finally {
    for (const r of slow) r.destroy();
    instance.store.space = real;
  }
  await until(() => fake.reserved() === 0 && real.reserved() === 0, 5_000, 'every reservation to be given back');
});

// Security review (stop 33), finding 2: a no-JS upload whose client hung up still holds its part memories
// until its parts are sealed and written; its slot is held as long, so 16 uploads bound them.
test('a client that hangs up keeps its upload slot until its parts are written: a 17th form waits for one', async () => {
  const cookie = await sourceCookie();
  const blobs = instance.store.blobs;
  const put = blobs.put;
  let open = () => undefined as void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  let waiting = 0;
  blobs.put = async (data) => (waiting++, await gate, put.call(blobs, data));
  const space = instance.store.space;
  const { check, ensure } = space;
  const door = { n: 0 };
  const hung: http.ClientRequest[] = [];
  try {
    for (let i = 0; i < 16; i++) hung.push(openForm({ cookie }, Buffer.concat([fileHead(`hung${i}.bin`), randomBytes(PART + 1000)])));
    await until(() => waiting === 16, 20_000, 'a part of each of the 16 forms to be on its way to disk');
    for (const r of hung) r.destroy(); // every client hangs up; the server still writes (then drops) their parts
    // From here, the door is asked only by a form let in.
    space.check = (bytes, floor) => (door.n++, check(bytes, floor));
    space.ensure = (bytes, floor) => (door.n++, ensure(bytes, floor));
    const seventeenth = fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, cookie }, body: Buffer.concat([fieldPart('message', 'seventeenth'), end]) as BodyInit, redirect: 'manual' });
    // Not let in while the 16 parts are held (a slot freed by a hang-up would let it in at once).
    await expect(until(() => door.n > 0, 1_500, 'the 17th form to be let in')).rejects.toThrow(/timed out/);
    open();
    expect((await seventeenth).status).toBe(303);
    expect(door.n).toBeGreaterThan(0);
  } finally {
    open();
    blobs.put = put;
    Object.assign(space, { check, ensure });
    for (const r of hung) r.destroy();
  }
});
