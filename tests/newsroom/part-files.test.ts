import { createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  DecryptionError, encryptObject, openManifest, openSubmission, PartMismatchError, sealFile, SubmissionSealer, type Manifest, type PrivateKey, type PublicKey,
} from '../../common/envelope/index.ts';
import { seipdCiphertext } from '../../common/envelope/seipd-read.ts';
import type { OpenedSessionKey } from '../../common/envelope/session-key.ts';
import { cfbDecrypt, PartOpener } from '../../newsroom/bulk-open.ts';
import type { PartPool } from '../../newsroom/part-pool.ts';
import { partSetup, partTeardown, type PartSetup } from '../helpers/part-fixture.ts';

// sealdrop decrypt's workers read their own parts by path (the main thread reads only the PKESKs)
// into their WebAssembly memory, and decrypt and hash them there a piece at a time.
let setup: PartSetup;
let dir: string;
let key: PrivateKey;
let recipient: PublicKey;
let pool: PartPool;
let unwrap: PartSetup['unwrap'];

beforeAll(async () => void ({ dir, key, recipient, pool, unwrap } = setup = await partSetup('sealdrop-part-files-')));
afterAll(() => partTeardown(setup));

test('CFB decrypted in the worker\'s memory equals OpenSSL\'s CFB at every offset, length and piece size; cfbDecrypt leaves its input alone', () => {
  fc.assert(
    fc.property(fc.constantFrom(16, 32), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 20_000 }), fc.constantFrom(512, 1040, 8192), (keyBytes, offset, size, piece) => {
      const k = randomBytes(keyBytes);
      const ciphertext = randomBytes(size + offset).subarray(offset);
      const reference = createDecipheriv(`aes-${keyBytes * 8}-cfb`, k, Buffer.alloc(16));
      const expected = Buffer.concat([reference.update(ciphertext), reference.final()]);
      const before = Buffer.from(ciphertext);
      expect(Buffer.from(cfbDecrypt(k, ciphertext, piece)).equals(expected)).toBe(true);
      expect(ciphertext.equals(before)).toBe(true);
    }),
    { numRuns: 300 },
  );
});

describe('parts read from their files', () => {
  // Bodies of 1-, 2- and 5-octet lengths: the ciphertext starts at different offsets in the file.
  const sizes = [10, 3000, 70_000];

  test('one opener, parts of every size in turn at every piece size: each part\'s own bytes and SHA-256, none of the last one\'s', async () => {
    const data = sizes.map((n) => randomBytes(n));
    const parts: { file: string; object: Uint8Array }[] = [];
    for (const [i, d] of data.entries()) {
      const object = await encryptObject({ data: d, recipients: [recipient] });
      parts.push({ file: path.join(dir, `sized-${i}.pgp`), object });
      writeFileSync(parts[i]!.file, object);
    }
    for (const piece of [512, 4096, 256 * 1024]) {
      const opener = new PartOpener(piece);
      // Large, small, large again: the memory grows once and is reused, a short part after a long one.
      for (const i of [2, 0, 1, 2, 0]) {
        const opened = opener.openFile(parts[i]!.file, await unwrap(parts[i]!.object));
        expect(Buffer.from(opened.plaintext).equals(data[i]!)).toBe(true);
        expect(opened.sha256).toBe(createHash('sha256').update(data[i]!).digest('hex'));
        expect(opened.plaintext.byteLength).toBe(opened.plaintext.buffer.byteLength); // memory of its own, to move to the main thread
      }
    }
  });

  test('a part altered in any piece, cut short or grown is refused; the opener still opens the next part', async () => {
    const data = randomBytes(5000);
    const object = await encryptObject({ data, recipients: [recipient] });
    const k = await unwrap(object);
    const opener = new PartOpener(512);
    const file = path.join(dir, 'bad.pgp');
    const ciphertextAt = seipdCiphertext(object)[0]!.byteOffset - object.byteOffset;
    for (let at = ciphertextAt; at < object.length; at += 701) {
      const altered = Buffer.from(object);
      altered[at]! ^= 0x10;
      writeFileSync(file, altered);
      expect(() => opener.openFile(file, k)).toThrow(/modification detection code/);
    }
    writeFileSync(file, object.subarray(0, object.length - 1));
    expect(() => opener.openFile(file, k)).toThrow(/claims more bytes/);
    writeFileSync(file, Buffer.concat([object, Buffer.from([0])]));
    expect(() => opener.openFile(file, k)).toThrow(/bytes after the data packet/);
    writeFileSync(file, object);
    expect(Buffer.from(opener.openFile(file, k).plaintext).equals(data)).toBe(true);
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
