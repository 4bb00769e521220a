import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, afterEach, beforeAll, expect, test } from 'vitest';
import { decryptObject, generateKeyPair, openManifest, paddedSize, readJournalistKey, readPrivateKey, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { HttpError } from '../../server/http/errors.ts';
import { PART_MEMORIES } from '../../server/nojs/part-run.ts';
import type { SealInPlace } from '../../server/nojs/part-memory.ts';
import { sealStream } from '../../server/nojs/seal-stream.ts';
import { KeyPool } from '../../server/sources/key-pool.ts';
import { newSource } from '../helpers/sources.ts';
import { tempStore } from '../helpers/temp-store.ts';

// What a no-JS upload keeps in memory, through the real worker pool: its parts are filled, sealed
// in place and stored in memory shared with the worker (nojs/part-memory.ts), a few memories
// reused part after part whatever the file's size or padding, and no plaintext is left in any of
// them once the upload ends or fails. Every SharedArrayBuffer made while a test runs is followed.
const PART = 64 * 1024;
const IN_FLIGHT = 2; // part-run.ts: parts sealing while the next one fills
const SECRET = 0x5a; // every plaintext byte
const RUN = Buffer.alloc(64, SECRET); // 64 plaintext bytes in a row: never in ciphertext

const store = tempStore('sealdrop-nojs-memory-');
let armored: string;
let recipients: PublicKey[];
let privateKey: PrivateKey;
const pool = new KeyPool({ workers: 1 });

// The part memories an upload makes, seen as they are made.
const Shared = globalThis.SharedArrayBuffer;
let made: SharedArrayBuffer[] = [];
beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Jo' });
  armored = pair.publicKey;
  recipients = [(await readJournalistKey(armored)).key];
  privateKey = await readPrivateKey(pair.privateKey);
  globalThis.SharedArrayBuffer = class extends Shared {
    constructor(length: number) {
      super(length);
      made.push(this);
    }
  } as SharedArrayBufferConstructor;
});
afterEach(() => void (made = []));
afterAll(async () => {
  globalThis.SharedArrayBuffer = Shared;
  await pool.close();
});

const plaintextIn = (memory: SharedArrayBuffer) => Buffer.from(memory).includes(RUN);

type Watch = { calls: number; running: number; mostRunning: number; fail?: number };
const watch = (more: Partial<Watch> = {}): Watch => ({ calls: 0, running: 0, mostRunning: 0, ...more });

function upload(chunks: AsyncIterable<Buffer> | Buffer[], w: Watch, maxParts = 1000) {
  const seal: SealInPlace = async (memory, at, length) => {
    const call = ++w.calls;
    if (call === w.fail) throw new Error('the worker failed');
    w.mostRunning = Math.max(w.mostRunning, ++w.running);
    return pool.run({ kind: 'seal', memory, at, length, recipients: [armored] }).finally(() => w.running--);
  };
  return sealStream(Readable.from(chunks), { store, recipients, sourceId: newSource(store).id, name: 'a.pdf', type: 'application/pdf', partSize: PART, maxParts, seal, wholeFileDigest: true });
}

// Just above a size class (8 MiB + 1000 bytes pads to 8.25 MiB): 128 full parts, then the tail and
// three parts of zeros.
const SIZE = 8 * 1024 * 1024 + 1000;
const PARTS = paddedSize(SIZE) / PART;

test('a file just above a size class: the whole upload is sealed in at most PART_MEMORIES memories, IN_FLIGHT parts at a time, and opens', async () => {
  expect(PARTS - Math.ceil(SIZE / PART)).toBe(3); // the padding parts
  const w = watch();
  const file = Buffer.alloc(SIZE, SECRET);
  const written = await upload([file], w);
  expect(written.parts).toHaveLength(PARTS);
  expect(w.calls).toBe(PARTS);
  // Without reuse, a memory per part: 132 here.
  expect(made.length).toBeGreaterThan(0);
  expect(made.length).toBeLessThanOrEqual(PART_MEMORIES);
  expect(w.mostRunning).toBeLessThanOrEqual(IN_FLIGHT);
  expect(made.some(plaintextIn)).toBe(false);
  // What was sealed in place is the file: its manifest's digests (computed in the worker) and a part's plaintext.
  const manifest = await openManifest({ data: await store.blobs.read(written.manifest), keys: [privateKey] });
  expect(manifest.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  const part = (n: number) => written.parts.find((p) => p.n === n)!.blob;
  for (const n of [1, 129]) {
    const plain = Buffer.from(await decryptObject({ data: await store.blobs.read(part(n)), keys: [privateKey] }));
    expect(manifest.parts[n - 1]).toBe(createHash('sha256').update(plain).digest('hex'));
    expect(plain.equals(n === 1 ? file.subarray(0, PART) : Buffer.concat([file.subarray(128 * PART), Buffer.alloc(PART - 1000)]))).toBe(true);
  }
});

test('a random file in chunks of random sizes (some across parts, some a byte): every byte where it belongs', async () => {
  const file = randomBytes(5 * PART + 777);
  const chunks: Buffer[] = [];
  for (let at = 0, n = 0; at < file.length; n++) {
    const size = n % 7 === 3 ? 1 : 1 + ((n * 40_503) % (PART + 9_000));
    chunks.push(file.subarray(at, Math.min(file.length, at + size)));
    at += size;
  }
  const written = await upload(chunks, watch());
  const manifest = await openManifest({ data: await store.blobs.read(written.manifest), keys: [privateKey] });
  expect(manifest.sha256).toBe(createHash('sha256').update(file).digest('hex'));
  const first = written.parts.find((p) => p.n === 1)!.blob;
  expect(Buffer.from(await decryptObject({ data: await store.blobs.read(first), keys: [privateKey] })).equals(file.subarray(0, PART))).toBe(true);
});

test('a cut upload erases the part being filled', async () => {
  async function* cut() {
    yield Buffer.alloc(6 * PART + PART / 2, SECRET);
    throw new Error('cut');
  }
  await expect(upload(cut(), watch())).rejects.toThrow('cut');
  expect(made.length).toBeGreaterThan(0);
  expect(made.some(plaintextIn)).toBe(false);
});

test('a part refused with 413 (one past maxParts) is erased', async () => {
  const refused = await upload([Buffer.alloc(5 * PART, SECRET)], watch(), 3).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(HttpError);
  expect((refused as HttpError).status).toBe(413);
  expect(made.some(plaintextIn)).toBe(false);
});

test('a part whose sealing fails is erased, and the upload fails with nothing kept', async () => {
  await expect(upload([Buffer.alloc(5 * PART, SECRET)], watch({ fail: 2 }))).rejects.toThrow('the worker failed');
  expect(made.some(plaintextIn)).toBe(false);
  expect(await store.blobs.list()).toEqual([]);
});
