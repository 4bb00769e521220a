import { Readable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, paddedSize, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { HttpError } from '../../server/http/errors.ts';
import { sealStream } from '../../server/nojs/seal-stream.ts';
import { KeyPool } from '../../server/sources/key-pool.ts';
import { newSource } from '../helpers/sources.ts';
import { tempStore } from '../helpers/temp-store.ts';

// What a no-JS upload keeps in memory, through the real worker pool: the part buffers it holds are
// bounded whatever the padding, and no plaintext is left in one once the upload ends or fails.
// The worker hands each part's memory back erased (`spent`); these tests follow that memory. Parts
// of 64 KiB: the smallest whose memory moves to the worker and back (sources/transfer.ts), as at
// the default 4 MiB.
const PART = 64 * 1024;
const IN_FLIGHT = 2; // seal-stream.ts: parts sealing while the next one fills
const SECRET = 0x5a; // every plaintext byte: any left in a buffer shows
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const store = tempStore('sealdrop-nojs-memory-');
let armored: string;
let recipients: PublicKey[];
const pool = new KeyPool({ workers: 1 });

beforeAll(async () => {
  armored = (await generateKeyPair({ name: 'Jo' })).publicKey;
  recipients = [(await readJournalistKey(armored)).key];
});
afterAll(() => pool.close());

/**
 * Each part's memory the worker handed back: followed weakly, to count what the upload keeps, or
 * (`keep`) held here too, to read what is left in it once the upload has failed and let it go.
 */
class Watched {
  readonly spent: (WeakRef<ArrayBuffer> | { deref: () => ArrayBuffer })[] = [];
  calls = 0;
  running = 0;
  mostRunning = 0;
  constructor(readonly keep = false) {}
  /** The part buffers of full size still held (collected first), and whether any holds a nonzero byte. */
  held(): { count: number; plaintextLeft: boolean } {
    gc();
    const live = this.spent.map((r) => r.deref()).filter((b): b is ArrayBuffer => b?.byteLength === PART);
    return { count: live.length, plaintextLeft: live.some((b) => new Uint8Array(b).some((x) => x !== 0)) };
  }
}

function upload(chunks: AsyncIterable<Buffer> | Buffer[], watched: Watched, options: { maxParts?: number; onCall?: (call: number) => Promise<void> } = {}) {
  const encrypt = async (data: Uint8Array) => {
    await options.onCall?.(++watched.calls);
    watched.mostRunning = Math.max(watched.mostRunning, ++watched.running);
    const result = await pool.run({ kind: 'encrypt', data, recipients: [armored] }).finally(() => watched.running--);
    const memory = result.spent.buffer as ArrayBuffer;
    watched.spent.push(watched.keep ? { deref: () => memory } : new WeakRef(memory));
    return result;
  };
  return sealStream(Readable.from(chunks), {
    store, recipients, sourceId: newSource(store).id, name: 'a.pdf', type: 'application/pdf', partSize: PART, maxParts: options.maxParts ?? 1000, encrypt, wholeFileDigest: true,
  });
}

// Just above a size class (8 MiB + 1000 bytes pads to 8.25 MiB): 128 full parts, then the tail and
// three parts of zeros, each of which the worker hands back at full size.
const SIZE = 8 * 1024 * 1024 + 1000;
const PARTS = paddedSize(SIZE) / PART;

/** Uploads SIZE bytes and reads what is held when the last padding part is handed to the worker. */
async function uploadToTheEnd() {
  const watched = new Watched();
  let atEnd: { count: number; plaintextLeft: boolean } | null = null;
  const onCall = async (call: number) => {
    if (call < PARTS) return;
    // A turn later: a WeakRef keeps its target alive until the turn that made it ends.
    await new Promise((resolve) => setImmediate(resolve));
    atEnd = watched.held();
  };
  const written = await upload([Buffer.alloc(SIZE, SECRET)], watched, { onCall });
  expect(written.parts).toHaveLength(PARTS);
  return { atEnd: atEnd!, watched };
}

test('a file just above a size class: at its last padding part, at most IN_FLIGHT + 1 full part buffers are held', async () => {
  expect(PARTS - Math.ceil(SIZE / PART)).toBe(3); // the padding parts the test is about
  const { atEnd, watched } = await uploadToTheEnd();
  // Without a bound, every padding part's memory was kept: 6 here (2 + 3 + the tail's).
  expect(atEnd.count).toBeGreaterThan(0);
  expect(atEnd.count).toBeLessThanOrEqual(IN_FLIGHT + 1);
  // The first padding part waits for a sealing part: the tail, its copy and one more, not four.
  expect(watched.mostRunning).toBeLessThanOrEqual(IN_FLIGHT);
});

test('the tail is erased once sealEnd has copied it, not after the padding parts are sealed', async () => {
  const { atEnd } = await uploadToTheEnd();
  expect(atEnd.count).toBeGreaterThan(0); // the tail's buffer among them
  expect(atEnd.plaintextLeft).toBe(false);
});

test('a cut upload erases the part being filled', async () => {
  const watched = new Watched(true);
  async function* cut() {
    yield Buffer.alloc(3 * PART + PART / 2, SECRET); // the fourth part fills memory the worker handed back
    throw new Error('cut');
  }
  await expect(upload(cut(), watched)).rejects.toThrow('cut');
  expect(watched.held().count).toBeGreaterThan(0);
  expect(watched.held().plaintextLeft).toBe(false);
});

test('a part refused with 413 (one past maxParts) is erased', async () => {
  const watched = new Watched(true);
  const refused = await upload([Buffer.alloc(5 * PART, SECRET)], watched, { maxParts: 3 }).catch((e: unknown) => e);
  expect(refused).toBeInstanceOf(HttpError);
  expect((refused as HttpError).status).toBe(413);
  expect(watched.held().count).toBeGreaterThan(0);
  expect(watched.held().plaintextLeft).toBe(false);
});
