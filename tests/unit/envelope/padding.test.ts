import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  encryptObject, generateKeyPair, manifestLength, MIN_PADDED_SIZE, openManifest, openSubmission, paddedSize, PartMismatchError, readJournalistKey,
  readPrivateKey, sealFile, serializeManifest, sha256Hex, SubmissionSealer, type Manifest, type PrivateKey, type PublicKey,
} from '../../../common/envelope/index.ts';

const PART = 4096;
const ID = 'ef'.repeat(16);
let recipient: PublicKey;
let key: PrivateKey;

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Padding Journalist' });
  recipient = (await readJournalistKey(pair.publicKey)).key;
  key = await readPrivateKey(pair.privateKey);
});

async function seal(plaintext: Uint8Array, name: string) {
  const sealer = new SubmissionSealer({ submission: ID, name, type: 'application/pdf', recipients: [recipient], partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const part of sealFile(sealer, plaintext.length, async (s, e) => plaintext.slice(s, e))) parts.push(part);
  return { parts, manifest: await sealer.sealManifest() };
}

async function open(manifestCt: Uint8Array, parts: Uint8Array[]): Promise<Buffer> {
  const manifest = await openManifest({ data: manifestCt, keys: [key] });
  const chunks: Uint8Array[] = [];
  await openSubmission({ manifest, keys: [key], readPart: async (n) => parts[n - 1] ?? null, write: async (b) => void chunks.push(b) });
  return Buffer.concat(chunks);
}

describe('size classes (Padmé)', () => {
  test('never smaller, at most 6.25% larger above the floor, monotonic, and a class maps to itself', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 64 * 2 ** 30 }), fc.integer({ min: 0, max: 2 ** 20 }), (size, more) => {
        const padded = paddedSize(size);
        expect(padded).toBeGreaterThanOrEqual(Math.max(size, MIN_PADDED_SIZE));
        if (size > MIN_PADDED_SIZE) expect(padded / size).toBeLessThanOrEqual(1.0625);
        expect(paddedSize(size + more)).toBeGreaterThanOrEqual(padded);
        expect(paddedSize(padded)).toBe(padded);
      }),
      { numRuns: 5000 },
    );
  });

  test('figures a newsroom can check by hand', () => {
    expect(paddedSize(0)).toBe(4096);
    expect(paddedSize(4097)).toBe(4352);
    expect(paddedSize(9_449_817)).toBe(9_699_328);
    // 2^30 + 1: the top 6 bits are kept, so the next class is 2^30 + 2^25.
    expect(paddedSize(2 ** 30 + 1)).toBe(2 ** 30 + 2 ** 25);
  });
});

describe('what the stored sizes reveal', () => {
  test('two different files in one size class, with names of different lengths, store objects of identical sizes', async () => {
    const a = await seal(randomBytes(9000), 'a.pdf');
    const b = await seal(randomBytes(9200), `${'Quarterly report, internal, do not distribute '.repeat(5)}.pdf`);
    expect(paddedSize(9000)).toBe(paddedSize(9200));
    expect(a.parts.map((p) => p.length)).toEqual(b.parts.map((p) => p.length));
    expect(a.manifest.length).toBe(b.manifest.length);
  });

  test('the manifest plaintext is exactly its fixed length, whatever the name', async () => {
    for (const name of ['', 'x', '\u0001'.repeat(255), '报告'.repeat(127)]) {
      const sealed = await seal(randomBytes(10), name);
      const manifest = await openManifest({ data: sealed.manifest, keys: [key] });
      expect(manifest.name).toBe(name);
      expect(serializeManifest(manifest).length).toBe(manifestLength(1));
    }
  });

  test('the file comes back without its padding, byte for byte', async () => {
    const plaintext = randomBytes(3 * PART + 77);
    const sealed = await seal(plaintext, 'f.bin');
    expect(sealed.parts).toHaveLength(4); // 12365 bytes padded to 12800: the last part holds 512 bytes
    expect((await open(sealed.manifest, sealed.parts)).equals(plaintext)).toBe(true);
  });
});

describe('the reader', () => {
  const manifestOf = async (fields: Partial<Manifest> & { parts: string[] }, padded = true) => {
    const m = { format: 'sealdrop-manifest', version: 2, submission: ID, name: 'f', type: 'text/plain', size: 10, paddedSize: MIN_PADDED_SIZE, partSize: PART, partCount: 1, sha256: '', ...fields } as Manifest;
    const bytes = padded ? serializeManifest(m) : new TextEncoder().encode(JSON.stringify(m));
    return encryptObject({ data: bytes, recipients: [recipient] });
  };

  test('refuses padding that is not zeros, even with matching digests (data hidden after the end)', async () => {
    const file = randomBytes(10);
    const part = new Uint8Array(MIN_PADDED_SIZE);
    part.set(file);
    part[100] = 0x41;
    const manifest = await manifestOf({ parts: [await sha256Hex(part)], sha256: await sha256Hex(file) });
    const error = await open(manifest, [await encryptObject({ data: part, recipients: [recipient] })]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PartMismatchError);
    expect((error as Error).message).toMatch(/after the end of the file/);
  });

  test('refuses a version 2 manifest that is not padded, or claims another size class', async () => {
    const parts = [await sha256Hex(new Uint8Array(MIN_PADDED_SIZE))];
    const sha256 = await sha256Hex(new Uint8Array(10));
    await expect(openManifest({ data: await manifestOf({ parts, sha256 }, false), keys: [key] })).rejects.toThrow(/fixed length/);
    await expect(openManifest({ data: await manifestOf({ sha256, paddedSize: 8192, partCount: 2, parts: [...parts, ...parts] }), keys: [key] })).rejects.toThrow(/size class/);
  });

  test('still opens version 1 submissions (stored before padding), unpadded', async () => {
    const file = randomBytes(PART + 5);
    const chunks = [file.subarray(0, PART), file.subarray(PART)];
    const v1 = { format: 'sealdrop-manifest', version: 1, submission: ID, name: 'old.bin', type: 'application/octet-stream', size: file.length, partSize: PART, partCount: 2, parts: await Promise.all(chunks.map((c) => sha256Hex(c))), sha256: await sha256Hex(file) };
    const manifest = await encryptObject({ data: new TextEncoder().encode(JSON.stringify(v1)), recipients: [recipient] });
    const parts = await Promise.all(chunks.map((c) => encryptObject({ data: c, recipients: [recipient] })));
    expect((await open(manifest, parts)).equals(file)).toBe(true);
  });
});
