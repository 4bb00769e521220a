import { createHash, randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encryptObject, type PublicKey } from '../../common/envelope/index.ts';
import { seipdCiphertext } from '../../common/envelope/seipd-read.ts';
import { PartOpener } from '../../newsroom/bulk-open.ts';
import { ReadAhead, type PartPool } from '../../newsroom/part-pool.ts';
import { partSetup, partTeardown, type PartSetup } from '../helpers/part-fixture.ts';

// sealdrop decrypt's workers write each part's own bytes into the output themselves, at the part's
// position, piece by piece as they decrypt (newsroom/part-sinks.ts): the bytes land exactly there,
// nothing beyond the part's own bytes is written, the padding is checked for zeros, and what the
// worker reports is what openSubmission checks (tests/unit/envelope/open-written.test.ts).
let dir: string;
let recipient: PublicKey;
let pool: PartPool;
let unwrap: PartSetup['unwrap'];
let setup: PartSetup; // closed after the tests
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const FILL = 0xa5;

beforeAll(async () => void ({ dir, recipient, pool, unwrap } = setup = await partSetup('sealdrop-part-writes-')));
afterAll(() => partTeardown(setup));

/** A part of `data` in a file, and its session key. */
async function partFile(name: string, data: Uint8Array): Promise<{ file: string; object: Uint8Array; k: Awaited<ReturnType<typeof unwrap>> }> {
  const object = await encryptObject({ data, recipients: [recipient] });
  const file = path.join(dir, name);
  writeFileSync(file, object);
  return { file, object, k: await unwrap(object) };
}

/** An output file of `size` bytes of FILL, open for writing; its descriptor. */
function output(name: string, size: number): { out: string; fd: number } {
  const out = path.join(dir, name);
  writeFileSync(out, Buffer.alloc(size, FILL));
  return { out, fd: openSync(out, 'r+') };
}

test('a part\'s own bytes land at its position and nothing else changes, at every piece and write size; the padding is checked, never written', async () => {
  // Sizes whose ciphertext starts at different offsets (1-, 2- and 5-octet lengths), some with a zero tail.
  const fileBytes = [0, 10, 3000, 70_000];
  const parts = await Promise.all(fileBytes.map((n, i) => partFile(`w${i}.pgp`, Buffer.concat([randomBytes(n), Buffer.alloc(i * 700)]))));
  await fc.assert(
    fc.asyncProperty(fc.integer({ min: 0, max: parts.length - 1 }), fc.constantFrom(512, 4096, 65_536), fc.constantFrom(512, 1000, 65_536, 256 * 1024),
      fc.integer({ min: 0, max: 5000 }), fc.double({ min: 0, max: 1.2, noNaN: true }), async (i, piece, writeBytes, position, ownShare) => {
        const part = parts[i]!;
        const plaintext = new PartOpener().openFile(part.file, part.k).plaintext;
        const own = Math.min(plaintext.length, Math.floor(plaintext.length * ownShare));
        const size = position + plaintext.length + 100;
        const { out, fd } = output('out.bin', size);
        let written;
        try {
          written = await new PartOpener(piece).openFileTo(part.file, part.k, { fd, position, own }, writeBytes);
        } finally {
          closeSync(fd);
        }
        const expected = Buffer.alloc(size, FILL);
        expected.set(plaintext.subarray(0, own), position);
        expect(readFileSync(out).equals(expected)).toBe(true);
        expect(written).toEqual({ length: plaintext.length, sha256: sha(plaintext), at: position, wrote: own, zeroTail: plaintext.subarray(own).every((b) => b === 0) });
      }),
    { numRuns: 120 },
  );
});

test('a part altered in any piece is refused by its MDC after writing; the opener writes the next part right', async () => {
  const data = randomBytes(5000);
  const { object, k } = await partFile('good.pgp', data);
  const opener = new PartOpener(512);
  const bad = path.join(dir, 'bad.pgp');
  const { out, fd } = output('altered.bin', 6000);
  try {
    const ciphertextAt = seipdCiphertext(object)[0]!.byteOffset - object.byteOffset;
    for (let at = ciphertextAt; at < object.length; at += 701) {
      const altered = Buffer.from(object);
      altered[at]! ^= 0x10;
      writeFileSync(bad, altered);
      await expect(opener.openFileTo(bad, k, { fd, position: 0, own: data.length })).rejects.toThrow(/modification detection code/);
    }
    writeFileSync(bad, object);
    expect(await opener.openFileTo(bad, k, { fd, position: 7, own: data.length })).toMatchObject({ wrote: data.length, sha256: sha(data) });
  } finally {
    closeSync(fd);
  }
  expect(readFileSync(out).subarray(7, 7 + data.length).equals(data)).toBe(true);
});

test('a part refused by its MDC answers only once every write it began has landed: nothing writes to the output after', async () => {
  // 4 MiB of zeros in 512-byte pieces and writes: thousands queued for libuv's threads when the MDC fails at the end.
  const data = Buffer.alloc(4 * 1024 * 1024);
  const { object, k } = await partFile('zeros.pgp', data);
  const altered = Buffer.from(object);
  altered[altered.length - 30]! ^= 0x01; // in the last blocks: every piece is decrypted (and written) first
  const bad = path.join(dir, 'zeros-bad.pgp');
  writeFileSync(bad, altered);
  const { out, fd } = output('late.bin', data.length);
  try {
    await expect(new PartOpener(512).openFileTo(bad, k, { fd, position: 0, own: data.length }, 512)).rejects.toThrow(/modification detection code/);
    // At once: every FILL byte overwritten (only the two altered blocks may hold anything but zeros).
    expect(readFileSync(out).filter((b) => b !== 0).length).toBeLessThanOrEqual(32);
  } finally {
    closeSync(fd);
  }
});

test('the pool\'s workers write parts at their positions, out of order, into one file; a bad part is refused', async () => {
  const data = [randomBytes(3000), randomBytes(3000), randomBytes(1234)];
  const parts = await Promise.all(data.map((d, i) => partFile(`p${i}.pgp`, d)));
  const { out, fd } = output('pool.bin', 7234);
  try {
    const reports = await Promise.all([2, 0, 1].map((i) => pool.openTo(parts[i]!.file, parts[i]!.k, { fd, position: i * 3000, own: data[i]!.length })));
    expect(reports.map((r) => [r.at, r.wrote, r.sha256])).toEqual([2, 0, 1].map((i) => [i * 3000, data[i]!.length, sha(data[i]!)]));
    await expect(pool.openTo(path.join(dir, 'absent.pgp'), parts[0]!.k, { fd, position: 0, own: 3000 })).rejects.toThrow(/Could not decrypt/);
  } finally {
    closeSync(fd);
  }
  expect(readFileSync(out).equals(Buffer.concat(data))).toBe(true);
});

test('ReadAhead.settle waits for every item started and not taken, failed ones too', async () => {
  const finished: number[] = [];
  const ahead = new ReadAhead(6, async (n) => {
    for (let i = 0; i < n * 3; i++) await tick();
    finished.push(n);
    if (n === 3) throw new Error('part 3 is bad');
    return n;
  }, 4);
  expect(await ahead.take(1)).toBe(1); // items 2 to 4 started
  await ahead.settle();
  expect(finished.sort()).toEqual([1, 2, 3, 4]);
});
