import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  BadManifestError, encryptObject, EnvelopeError, generateKeyPair, openManifest, openSubmission, PartMismatchError, partCountFor, readJournalistKey,
  readPrivateKey, sealFile, sha256Hex, SubmissionSealer, UnknownOptionError, type PrivateKey, type PublicKey,
} from '../../../common/envelope/index.ts';
import { nativeHasher } from '../../../server/native-hash.ts';

const PART = 1024;
const ID = 'ab'.repeat(16);
let recipient: PublicKey;
let key: PrivateKey;

type Sealed = { parts: Uint8Array[]; manifest: Uint8Array };

async function seal(plaintext: Buffer, name = 'notes.txt', submission = ID): Promise<Sealed> {
  const sealer = new SubmissionSealer({ submission, name, type: 'text/plain', recipients: [recipient], partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const part of sealFile(sealer, plaintext.length, async (s, e) => plaintext.slice(s, e))) parts.push(part);
  return { parts, manifest: await sealer.sealManifest() };
}

async function open(sealed: Sealed, parts: (Uint8Array | null)[] = sealed.parts): Promise<{ written: Buffer; error: unknown }> {
  const manifest = await openManifest({ data: sealed.manifest, keys: [key] });
  const chunks: Uint8Array[] = [];
  try {
    await openSubmission({ manifest, keys: [key], readPart: async (n) => parts[n - 1] ?? null, write: async (b) => void chunks.push(b) });
    return { written: Buffer.concat(chunks), error: null };
  } catch (error) {
    return { written: Buffer.concat(chunks), error };
  }
}

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Unit Journalist', passphrase: 'unit test passphrase' });
  recipient = (await readJournalistKey(pair.publicKey)).key;
  key = await readPrivateKey(pair.privateKey, 'unit test passphrase');
});

describe('round trip', () => {
  test('a file cut into parts comes back byte for byte, with its manifest', async () => {
    const plaintext = randomBytes(5 * PART + 321);
    const sealed = await seal(plaintext, 'Budget 2026.xlsx');
    // 5441 bytes are padded to 5632 (Padmé), so six parts, the last one half full.
    expect(sealed.parts).toHaveLength(6);
    const manifest = await openManifest({ data: sealed.manifest, keys: [key] });
    expect(manifest).toMatchObject({ name: 'Budget 2026.xlsx', size: plaintext.length, paddedSize: 5632, partCount: 6, submission: ID });
    const { written, error } = await open(sealed);
    expect(error).toBeNull();
    expect(written.equals(plaintext)).toBe(true);
  });

  test('an empty file is padding only, and comes back empty', async () => {
    const sealed = await seal(Buffer.alloc(0));
    expect(sealed.parts).toHaveLength(partCountFor(0, PART));
    const { written, error } = await open(sealed);
    expect(error).toBeNull();
    expect(written.length).toBe(0);
  });

  test('a file that exactly fills its size class and its parts has no empty trailing part', async () => {
    const plaintext = randomBytes(8 * PART); // 8192 is its own size class
    const sealed = await seal(plaintext);
    expect(sealed.parts).toHaveLength(8);
    expect((await open(sealed)).written.equals(plaintext)).toBe(true);
  });
});

describe('fails closed', () => {
  const plaintext = randomBytes(3 * PART + 10);
  let sealed: Sealed;
  beforeAll(async () => {
    sealed = await seal(plaintext);
  });

  const expectFailureAt = (result: { written: Buffer; error: unknown }, part: number) => {
    expect(result.error).toBeInstanceOf(PartMismatchError);
    expect((result.error as PartMismatchError).part).toBe(part);
    // Nothing unverified is ever handed out: only the parts before the bad one were written.
    expect(result.written.equals(plaintext.subarray(0, (part - 1) * PART))).toBe(true);
  };

  test('a truncated part', async () => {
    const parts = [...sealed.parts];
    parts[1] = parts[1]!.subarray(0, parts[1]!.length - 30);
    expectFailureAt(await open(sealed, parts), 2);
  });

  test('reordered parts', async () => {
    const [a, b, ...rest] = sealed.parts;
    expectFailureAt(await open(sealed, [b!, a!, ...rest]), 1);
  });

  test('a missing part', async () => {
    expectFailureAt(await open(sealed, [sealed.parts[0]!, sealed.parts[1]!, null, sealed.parts[3]!]), 3);
  });

  test('an altered byte of ciphertext', async () => {
    const parts = [...sealed.parts];
    const altered = Uint8Array.from(parts[2]!);
    altered[altered.length - 40]! ^= 0x01;
    parts[2] = altered;
    expectFailureAt(await open(sealed, parts), 3);
  });

  test('a well-encrypted part whose plaintext was swapped (anyone holding the public key can encrypt)', async () => {
    const parts = [...sealed.parts];
    const forged = Buffer.from(plaintext.subarray(PART, 2 * PART));
    forged[0]! ^= 0xff;
    parts[1] = await encryptObject({ data: forged, recipients: [recipient] });
    expectFailureAt(await open(sealed, parts), 2);
  });

  test('the last part cut short but re-encrypted', async () => {
    const parts = [...sealed.parts];
    parts[3] = await encryptObject({ data: plaintext.subarray(3 * PART, 3 * PART + 5), recipients: [recipient] });
    expectFailureAt(await open(sealed, parts), 4);
  });

  test('a compressed part that would inflate far past its length in the manifest is stopped there', async () => {
    const bomb = await openpgp.encrypt({
      message: await openpgp.createMessage({ binary: new Uint8Array(64 * 1024 * 1024) }),
      encryptionKeys: [recipient],
      format: 'binary',
      config: { preferredCompressionAlgorithm: openpgp.enums.compression.zlib, aeadProtect: false },
    });
    expect(bomb.length).toBeLessThan(200_000);
    const result = await open(sealed, [sealed.parts[0]!, bomb, sealed.parts[2]!, sealed.parts[3]!]);
    expectFailureAt(result, 2);
    expect((result.error as Error).message).toMatch(/could not be decrypted/);
  });

  test('a part from another submission', async () => {
    const other = await seal(randomBytes(3 * PART + 10), 'other.bin', 'cd'.repeat(16));
    expectFailureAt(await open(sealed, [sealed.parts[0]!, other.parts[1]!, sealed.parts[2]!, sealed.parts[3]!]), 2);
  });
});

describe('whole-file digest computed natively by the caller', () => {
  test('gives the same manifest as the incremental hasher, and a wrong one fails closed', async () => {
    const plaintext = randomBytes(2 * PART + 5);
    const seal2 = async (wholeFileDigest?: () => Promise<string>) => {
      const sealer = new SubmissionSealer({ submission: ID, name: 'n', type: 'text/plain', recipients: [recipient], partSize: PART, ...(wholeFileDigest ? { wholeFileDigest } : {}) });
      const parts = [];
      for await (const part of sealFile(sealer, plaintext.length, async (s, e) => plaintext.slice(s, e))) parts.push(part);
      return { parts, manifest: await sealer.sealManifest() };
    };
    const incremental = await openManifest({ data: (await seal2()).manifest, keys: [key] });
    const native = await seal2(async () => sha256Hex(plaintext));
    expect((await openManifest({ data: native.manifest, keys: [key] })).sha256).toBe(incremental.sha256);
    expect((await open(native)).error).toBeNull();
    const lying = await seal2(async () => '0'.repeat(64));
    expect((await open(lying)).error).toBeInstanceOf(PartMismatchError);
  });

  test('a native incremental hasher (node:crypto, as the server and CLI pass) gives the same digest, and opening with it still catches a change', async () => {
    const plaintext = randomBytes(3 * PART + 9);
    const sealer = new SubmissionSealer({ submission: ID, name: 'n', type: 'text/plain', recipients: [recipient], partSize: PART, hasher: nativeHasher });
    const parts: Uint8Array[] = [];
    for await (const part of sealFile(sealer, plaintext.length, async (s, e) => plaintext.slice(s, e))) parts.push(part);
    const manifest = await openManifest({ data: await sealer.sealManifest(), keys: [key] });
    expect(manifest.sha256).toBe(await sha256Hex(plaintext));
    const lying = { ...manifest, sha256: '1'.repeat(64) };
    await expect(openSubmission({ manifest: lying, keys: [key], hasher: nativeHasher, readPart: async (n) => parts[n - 1] ?? null, write: async () => undefined })).rejects.toThrow(/whole file/);
  });
});

describe('parts sealed side by side (encryption in a worker pool)', () => {
  test('parts finishing out of order keep their places, and the file opens whole', async () => {
    const plaintext = randomBytes(4 * PART + 3);
    let delay = 40;
    // The first part takes longest: its digest and ciphertext arrive last.
    const encrypt = async (data: Uint8Array) => {
      const wait = (delay -= 10);
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
      return encryptObject({ data, recipients: [recipient] });
    };
    const sealer = new SubmissionSealer({ submission: ID, name: 'n', type: 'text/plain', recipients: [recipient], partSize: PART, encrypt });
    const full = [0, 1, 2, 3].map((i) => sealer.sealPart(plaintext.subarray(i * PART, (i + 1) * PART)));
    const parts = await Promise.all(full);
    for await (const part of sealer.sealEnd(plaintext.subarray(4 * PART))) parts.push(part);
    const sealed = { parts, manifest: await sealer.sealManifest() };
    const { written, error } = await open(sealed);
    expect(error).toBeNull();
    expect(written.equals(plaintext)).toBe(true);
  });

  test('the manifest is refused while a part is still being sealed', async () => {
    const sealer = new SubmissionSealer({ submission: ID, name: 'n', type: 'text/plain', recipients: [recipient], partSize: PART, encrypt: () => new Promise(() => undefined) });
    void sealer.sealPart(new Uint8Array(PART));
    const end = sealer.sealEnd(new Uint8Array(0));
    void end.next();
    await expect(sealer.sealManifest()).rejects.toThrow();
  });
});

describe('no whole-file digest (a large file sent from a browser)', () => {
  const sealWithout = async (plaintext: Buffer): Promise<Sealed> => {
    const sealer = new SubmissionSealer({ submission: ID, name: 'big.bin', type: 'application/octet-stream', recipients: [recipient], partSize: PART, wholeFileDigest: null });
    const parts: Uint8Array[] = [];
    for await (const part of sealFile(sealer, plaintext.length, async (s, e) => plaintext.slice(s, e))) parts.push(part);
    return { parts, manifest: await sealer.sealManifest() };
  };

  test('the manifest leaves it out, the file opens whole, and the part digests still catch every change', async () => {
    const plaintext = randomBytes(3 * PART + 17);
    const sealed = await sealWithout(plaintext);
    const manifest = await openManifest({ data: sealed.manifest, keys: [key] });
    expect(manifest).not.toHaveProperty('sha256');
    const { written, error } = await open(sealed);
    expect(error).toBeNull();
    expect(written.equals(plaintext)).toBe(true);
    const failsAt = ({ error }: { error: unknown }) => (error instanceof PartMismatchError ? error.part : null);
    expect(failsAt(await open(sealed, [sealed.parts[0]!, sealed.parts[2]!, sealed.parts[1]!, sealed.parts[3]!]))).toBe(2);
    const other = await sealWithout(randomBytes(plaintext.length));
    expect(failsAt(await open(sealed, [sealed.parts[0]!, sealed.parts[1]!, sealed.parts[2]!, other.parts[3]!]))).toBe(4);
  });

  test('a version 1 manifest must still carry it, and a present one must be a digest', async () => {
    const v1 = { format: 'sealdrop-manifest', version: 1, submission: ID, name: 'a', type: 'text/plain', size: 1, partSize: PART, partCount: 1, parts: ['0'.repeat(64)] };
    await expect(openManifest({ data: await encryptObject({ data: new TextEncoder().encode(JSON.stringify(v1)), recipients: [recipient] }), keys: [key] })).rejects.toThrow(/file digest/);
    const v1WithBad = { ...v1, sha256: 'not-hex' };
    await expect(openManifest({ data: await encryptObject({ data: new TextEncoder().encode(JSON.stringify(v1WithBad)), recipients: [recipient] }), keys: [key] })).rejects.toBeInstanceOf(BadManifestError);
  });
});

describe('options objects', () => {
  test('an unknown option is an error, not silently ignored', async () => {
    await expect(encryptObject({ data: new Uint8Array(1), recipients: [recipient], compress: true } as never)).rejects.toBeInstanceOf(UnknownOptionError);
    expect(() => new SubmissionSealer({ submission: ID, name: 'a', type: 'text/plain', recipients: [recipient], partsize: 5 } as never)).toThrow(UnknownOptionError);
  });

  test('sealPart takes full parts only, and the manifest waits for the end of the file', async () => {
    const sealer = new SubmissionSealer({ submission: ID, name: 'a', type: 'text/plain', recipients: [recipient], partSize: PART });
    await expect(sealer.sealPart(new Uint8Array(10))).rejects.toThrow(/full parts/);
    await sealer.sealPart(new Uint8Array(PART));
    await expect(sealer.sealManifest()).rejects.toBeInstanceOf(EnvelopeError);
    await expect(sealer.sealEnd(new Uint8Array(PART)).next()).rejects.toThrow(/fewer than the part size/);
  });
});

describe('the sealer checks its manifest as the reader will', () => {
  const sealer = (submission = ID) => new SubmissionSealer({ submission, name: 'a.txt', type: 'text/plain', recipients: [recipient], partSize: PART });

  test('a malformed submission id fails at sealManifest', async () => {
    const s = sealer('nothex');
    for await (const _ of sealFile(s, 10, async () => randomBytes(10)));
    await expect(s.sealManifest()).rejects.toBeInstanceOf(BadManifestError);
  });

  test('a sealEnd left unfinished (not every padding part taken) fails at sealManifest', async () => {
    const s = sealer();
    await s.sealEnd(randomBytes(10)).next();
    await expect(s.sealManifest()).rejects.toBeInstanceOf(EnvelopeError);
  });
});
