import { createDecipheriv, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DecryptionError, encryptObject, generateKeyPair, openManifest, openSubmission, PartMismatchError, readJournalistKey, readPrivateKey, sealFile,
  splitHeader, SubmissionSealer, type Manifest, type PrivateKey, type PublicKey,
} from '../../common/envelope/index.ts';
import { seipdCiphertext } from '../../common/envelope/seipd-read.ts';
import { sessionKeyOpener, type OpenedSessionKey } from '../../common/envelope/session-key.ts';
import { cfbDecrypt, cfbDecryptInPlace, readPartAligned } from '../../newsroom/bulk-open.ts';
import { PartPool } from '../../newsroom/part-pool.ts';

// sealdrop decrypt's workers read their own parts by path (the main thread reads only the PKESKs)
// into memory placed so the ciphertext is 4-byte aligned, and decrypt CFB in that same memory.
let dir: string;
let key: PrivateKey;
let recipient: PublicKey;
let pool: PartPool;
const unwrap = (object: Uint8Array) => sessionKeyOpener([key])(object.subarray(0, splitHeader(object).sealedAt));

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-part-files-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  key = await readPrivateKey(pair.privateKey);
  recipient = (await readJournalistKey(pair.publicKey)).key;
  pool = new PartPool(2);
});
afterAll(async () => {
  await pool?.close();
  rmSync(dir, { recursive: true, force: true });
});

test('CFB decrypted in place equals OpenSSL\'s CFB at every alignment and length; cfbDecrypt leaves its input alone', () => {
  fc.assert(
    fc.property(fc.constantFrom(16, 32), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 20_000 }), (keyBytes, offset, size) => {
      const k = randomBytes(keyBytes);
      const ciphertext = randomBytes(size);
      const reference = createDecipheriv(`aes-${keyBytes * 8}-cfb`, k, Buffer.alloc(16));
      const expected = Buffer.concat([reference.update(ciphertext), reference.final()]);
      const room = Buffer.alloc(size + offset);
      ciphertext.copy(room, offset);
      const inPlace = cfbDecryptInPlace(k, room.subarray(offset));
      expect(inPlace.byteOffset).toBe(offset); // the same memory, overwritten
      expect(Buffer.from(inPlace).equals(expected)).toBe(true);
      const before = Buffer.from(ciphertext);
      expect(cfbDecrypt(k, ciphertext).equals(expected)).toBe(true);
      expect(ciphertext.equals(before)).toBe(true);
    }),
    { numRuns: 300 },
  );
});

describe('parts read from their files', () => {
  // Bodies of 1-, 2- and 5-octet lengths: the ciphertext starts at different offsets in the file.
  const sizes = [10, 3000, 70_000];

  test('a part file is read whole, its ciphertext moved to a 4-byte boundary, the bytes unchanged', async () => {
    const offsets = new Set<number>();
    for (const size of sizes) {
      const object = await encryptObject({ data: randomBytes(size), recipients: [recipient] });
      const file = path.join(dir, `aligned-${size}.pgp`);
      writeFileSync(file, object);
      offsets.add(seipdCiphertext(object)[0]!.byteOffset % 4);
      const read = readPartAligned(file);
      expect(Buffer.from(read).equals(Buffer.from(object))).toBe(true);
      expect(seipdCiphertext(read)[0]!.byteOffset % 4).toBe(0);
    }
    expect(offsets.size).toBeGreaterThan(1); // the files really were placed differently
  });

  test('the pool opens parts by path to their plaintext and SHA-256; a missing or altered file is refused', async () => {
    const data = sizes.map((n) => randomBytes(n));
    const files: string[] = [];
    const keys: OpenedSessionKey[] = [];
    for (const [i, d] of data.entries()) {
      const object = await encryptObject({ data: d, recipients: [recipient] });
      files.push(path.join(dir, `part-${i}.pgp`));
      writeFileSync(files[i]!, object);
      keys.push(await unwrap(object));
    }
    const opened = await Promise.all(files.map((f, i) => pool.open(f, keys[i]!)));
    for (const [i, d] of data.entries()) expect(Buffer.from(opened[i]!.plaintext).equals(d)).toBe(true);

    const altered = Buffer.from(await encryptObject({ data: data[1]!, recipients: [recipient] }));
    const alteredKey = await unwrap(altered);
    altered[altered.length - 40]! ^= 1;
    writeFileSync(path.join(dir, 'altered.pgp'), altered);
    await expect(pool.open(path.join(dir, 'altered.pgp'), alteredKey)).rejects.toThrow(/modification detection code/);
    await expect(pool.open(path.join(dir, 'absent.pgp'), alteredKey)).rejects.toBeInstanceOf(DecryptionError);
    // The workers are still there for the next part.
    expect(Buffer.from((await pool.open(files[0]!, keys[0]!)).plaintext).equals(data[0]!)).toBe(true);
  });
});

test('memory given back once a part is written is what a worker reads a later part into, and only that part comes out of it', async () => {
  const big = (n: number) => randomBytes(2 * 1024 * 1024 + n);
  const [first, second, third] = [big(0), big(-100), big(3)];
  const file = async (name: string, data: Uint8Array) => {
    const object = await encryptObject({ data, recipients: [recipient] });
    writeFileSync(path.join(dir, name), object);
    return { file: path.join(dir, name), key: await unwrap(object) };
  };
  const parts = await Promise.all([file('r1.pgp', first), file('r2.pgp', second), file('r3.pgp', third)]);
  const one = await pool.open(parts[0]!.file, parts[0]!.key);
  expect(Buffer.from(one.plaintext).equals(first)).toBe(true);
  const memory = one.plaintext.buffer;
  const size = memory.byteLength;
  pool.recycle(memory);
  const two = await pool.open(parts[1]!.file, parts[1]!.key);
  expect(memory.byteLength).toBe(0); // moved to a worker: detached here
  expect(two.plaintext.buffer.byteLength).toBe(size); // and back, holding the smaller second part
  expect(Buffer.from(two.plaintext).equals(second)).toBe(true); // nothing of the first part in it
  // A spare too small for the part is not used: the part still opens, into new memory.
  pool.recycle(new ArrayBuffer(1024 * 1024 + 16));
  const three = await pool.open(parts[2]!.file, parts[2]!.key);
  expect(Buffer.from(three.plaintext).equals(third)).toBe(true);
  expect(three.plaintext.buffer.byteLength).toBeGreaterThan(third.length);
});

describe('checkFileDigest: false (sealdrop decrypt)', () => {
  test('the whole-file digest is not recomputed, but every part digest still is', async () => {
    const file = randomBytes(3 * 4096 + 5);
    const sealer = new SubmissionSealer({ submission: 'd'.repeat(32), name: 'f.bin', type: 'application/octet-stream', recipients: [recipient], partSize: 4096 });
    const parts: Uint8Array[] = [];
    for await (const part of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) parts.push(part);
    const manifest = await openManifest({ data: await sealer.sealManifest(), keys: [key] });
    const open = async (m: Manifest, checkFileDigest?: boolean, readPart = async (n: number) => parts[n - 1] ?? null) => {
      const written: Uint8Array[] = [];
      await openSubmission({ manifest: m, keys: [key], readPart, write: async (b) => void written.push(b), ...(checkFileDigest === undefined ? {} : { checkFileDigest }) });
      return Buffer.concat(written);
    };
    // A whole-file digest disagreeing with the part digests (a writer's bug): only the default check sees it.
    const inconsistent = { ...manifest, sha256: 'f'.repeat(64) };
    await expect(open(inconsistent)).rejects.toThrow(/whole file does not match/);
    expect((await open(inconsistent, false)).equals(file)).toBe(true);
    // Parts swapped: refused by their digests whether or not the whole file is hashed.
    const swapped = async (n: number) => parts[n === 1 ? 1 : n === 2 ? 0 : n - 1] ?? null;
    await expect(open(manifest, false, swapped)).rejects.toBeInstanceOf(PartMismatchError);
  });
});
