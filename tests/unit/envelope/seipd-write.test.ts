import { createCipheriv, randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { DEFAULT_PART_SIZE, paddedSize, partCountFor, readJournalistKey, readObjectHeaders, sealFile, SubmissionSealer, type PartEncrypter, type PublicKey } from '../../../common/envelope/index.ts';
import { wrapSessionKey } from '../../../common/envelope/session-key.ts';
import { CHUNK_BYTES, newPacketHeader, sealBulk } from '../../../common/envelope/seipd-write.ts';
import { seipdPacket } from '../../../server/nojs/seipd.ts';
import { makeGpgHome, type GpgHome } from '../../helpers/gpg.ts';
import { makeSqKey, type SqKey } from '../../helpers/sequoia.ts';

// The page workers' bulk layer (WebCrypto: AES-CBC turned into CFB, SHA-1 for the MDC) against
// the writers already proven: openpgp.js, which every other writer uses, and the server's native
// one (node:crypto). Same session key and prefix, same bytes; and gpg and Sequoia open the objects.
let gpg: GpgHome;
let sq: SqKey;
let recipients: PublicKey[];

beforeAll(async () => {
  [gpg, sq] = await Promise.all([makeGpgHome('worker'), makeSqKey('worker')]);
  recipients = await Promise.all([await readFile(gpg.publicKeyFile, 'utf8'), sq.publicKey].map(async (armored) => (await readJournalistKey(armored)).key));
}, 60_000);
afterAll(async () => {
  await gpg?.cleanup();
  await sq?.cleanup();
});

const secrets = () => ({ sessionKey: randomBytes(32), random: randomBytes(16) });
// Where a length field grows an octet (literal body 6 + n, SEIPD body 47 + its header + n), blocks, and a whole part.
// The body is 18 + 6 (literal header) + 6 + n + 22 bytes past 8378: around one and two WebCrypto chunks it ends
// exactly on a chunk, a byte short or over, and a last chunk shorter than a block.
const AROUND_CHUNKS = [CHUNK_BYTES, 2 * CHUNK_BYTES].flatMap((c) => [-17, -16, -1, 0, 1, 15, 16, 17].map((d) => c - 52 + d));
const SIZES = [0, 1, 2, 3, 4, 5, 15, 16, 17, 31, 32, 33, 142, 143, 144, 185, 186, 187, 8333, 8334, 8335, 8377, 8378, 8379, 65_537, ...AROUND_CHUNKS, DEFAULT_PART_SIZE, DEFAULT_PART_SIZE - 1];

/** openpgp.js's object under a session key we chose; its random prefix read back from the first block. */
async function openpgpObject(data: Uint8Array, sessionKey: Uint8Array) {
  const message = await openpgp.createMessage({ binary: data, format: 'binary', date: new Date(0) });
  const config = { preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed, aeadProtect: false };
  const object = await openpgp.encrypt({ message, encryptionKeys: recipients, sessionKey: { data: sessionKey, algorithm: 'aes256' }, format: 'binary', config });
  const { sealed } = readObjectHeaders(object);
  const random = createCipheriv('aes-256-ecb', sessionKey, null).update(Buffer.alloc(16));
  for (let i = 0; i < 16; i++) random[i]! ^= object[sealed.bodyAt + 1 + i]!;
  return { object: Buffer.from(object), random, sealedAt: sealed.at };
}

describe('sealBulk', () => {
  test.each(SIZES)('%i bytes: the very bytes of openpgp.js and of the native writer, for the same key and prefix', async (size) => {
    const data = randomBytes(size);
    const { sessionKey } = secrets();
    const theirs = await openpgpObject(data, sessionKey);
    const lead = theirs.object.subarray(0, theirs.sealedAt);
    const ours = await sealBulk(data, { sessionKey, random: theirs.random }, lead);
    expect(ours.byteOffset === 0 && ours.byteLength === ours.buffer.byteLength).toBe(true); // transferable whole
    expect(Buffer.from(ours).equals(theirs.object)).toBe(true);
    expect(Buffer.from(await sealBulk(data, { sessionKey, random: theirs.random })).equals(seipdPacket(data, { sessionKey, random: theirs.random }))).toBe(true);
  });

  test('random sizes, keys and prefixes: the same bytes as the native writer; data and secrets are left as given', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...SIZES), fc.integer({ min: 0, max: 3 * CHUNK_BYTES })), fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.uint8Array({ minLength: 16, maxLength: 16 }), async (size, sessionKey, random) => {
        const data = randomBytes(size);
        const copy = Buffer.from(data);
        const ours = await sealBulk(data, { sessionKey, random });
        expect(Buffer.from(ours).equals(seipdPacket(data, { sessionKey, random }))).toBe(true);
        expect(data.equals(copy)).toBe(true);
      }),
      { numRuns: 60, seed: 2626 },
    );
  });

  test('with PKESKs from wrapSessionKey: gpg and sq each decrypt it to the data, and refuse it with one bit flipped', async () => {
    const data = randomBytes(DEFAULT_PART_SIZE + 13);
    const { sessionKey, random } = secrets();
    const object = await sealBulk(data, { sessionKey, random }, await wrapSessionKey(sessionKey, recipients));
    const file = path.join(gpg.home, 'part.pgp');
    await writeFile(file, object);
    expect((await gpg.decrypt(file)).equals(data)).toBe(true);
    expect((await sq.decrypt(file)).equals(data)).toBe(true);
    const bad = Buffer.from(object);
    bad[bad.length - 30]! ^= 0x01; // in the data, near its end: only the MDC can tell
    await writeFile(file, bad);
    await expect(gpg.decrypt(file)).rejects.toThrow();
    await expect(sq.decrypt(file)).rejects.toThrow();
  }, 60_000);

  test('headers take the fewest length octets and refuse what a definite length cannot say; bad secrets are refused', async () => {
    // The one header writer, shared with the server's native writer (server/nojs/seipd.ts): RFC 4880 4.2.2's octets at each boundary.
    const expected: [number, string][] = [[0, 'd200'], [191, 'd2bf'], [192, 'd2c000'], [8383, 'd2dfff'], [8384, 'd2ff000020c0'], [2 ** 32 - 1, 'd2ffffffffff']];
    for (const [length, hex] of expected) expect(Buffer.from(newPacketHeader(18, length)).toString('hex')).toBe(hex);
    expect(() => newPacketHeader(18, 2 ** 32)).toThrow(RangeError);
    await expect(sealBulk(new Uint8Array(1), { sessionKey: new Uint8Array(16), random: new Uint8Array(16) })).rejects.toThrow(RangeError);
    await expect(sealBulk(new Uint8Array(1), { sessionKey: new Uint8Array(32), random: new Uint8Array(15) })).rejects.toThrow(RangeError);
  });
});

describe('sealFile with an encrypter that seals parts side by side', () => {
  /** Seals as the page's workers do, finishing in a shuffled order, and records how many were in flight at once. */
  function sideBySide(parallel: number) {
    const seen = { inFlight: 0, most: 0, calls: 0 };
    const encrypt = async (data: Uint8Array) => {
      seen.most = Math.max(seen.most, ++seen.inFlight);
      const late = (seen.calls++ * 7) % 5;
      for (let i = 0; i < late; i++) await new Promise((r) => setImmediate(r));
      const sessionKey = randomBytes(32);
      const sealed = await sealBulk(data, { sessionKey, random: randomBytes(16) }, await wrapSessionKey(sessionKey, recipients));
      seen.inFlight--;
      return sealed;
    };
    return { seen, encrypt: Object.assign(encrypt, { parallel }) as PartEncrypter };
  }

  test.each([1, 3])('parallel %i: parts come out in order, never more than that many at once, and gpg opens the manifest and every part', async (parallel) => {
    const partSize = 65_536;
    const file = randomBytes(5 * partSize + 1234);
    const { seen, encrypt } = sideBySide(parallel);
    const sealer = new SubmissionSealer({ submission: 'ab'.repeat(16), name: 'ledger.pdf', type: 'application/pdf', recipients, partSize, encrypt });
    const parts: Uint8Array[] = [];
    for await (const part of sealFile(sealer, file.length, async (s, e) => file.slice(s, e))) parts.push(part);
    expect(seen.most).toBe(parallel);
    const manifestFile = path.join(gpg.home, 'manifest.pgp');
    await writeFile(manifestFile, await sealer.sealManifest());
    const manifest = JSON.parse((await gpg.decrypt(manifestFile)).toString().trimEnd());
    expect(manifest.partCount).toBe(parts.length);
    const out: Buffer[] = [];
    for (const [n, part] of parts.entries()) {
      const partFile = path.join(gpg.home, `part-${n}.pgp`);
      await writeFile(partFile, part);
      out.push(await gpg.decrypt(partFile));
    }
    expect(Buffer.concat(out).subarray(0, file.length).equals(file)).toBe(true);
  }, 60_000);

  // The page seals the manifest the moment the last part comes out, before sealFile returns (it
  // goes with that part). A size that fills its size class exactly, a whole number of parts, once
  // gave its last part before the file had ended: a 4 MiB file (one part, sealed on the page) failed.
  test.each([
    ['one 4 MiB part on the page', DEFAULT_PART_SIZE, DEFAULT_PART_SIZE, 0],
    ['16 full parts, one at a time', 1 << 20, 65_536, 1],
    ['16 full parts, three at a time', 1 << 20, 65_536, 3],
    ['one part and a tail', 65_536 + 100, 65_536, 1],
  ])('%s: the manifest is sealed as soon as the last part is out', async (_, size, partSize, parallel) => {
    expect(paddedSize(size) === size || size % partSize !== 0).toBe(true);
    const file = randomBytes(size);
    const encrypt = parallel > 0 ? sideBySide(parallel).encrypt : undefined;
    const sealer = new SubmissionSealer({ submission: 'ab'.repeat(16), name: 'ledger.pdf', type: 'application/pdf', recipients, partSize, encrypt });
    const count = partCountFor(size, partSize);
    let n = 0;
    let manifest: Uint8Array | null = null;
    for await (const part of sealFile(sealer, size, async (s, e) => file.slice(s, e))) {
      expect(part.length).toBeGreaterThan(0);
      if (++n === count) manifest = await sealer.sealManifest();
    }
    expect(n).toBe(count);
    const manifestFile = path.join(gpg.home, 'early-manifest.pgp');
    await writeFile(manifestFile, manifest!);
    expect(JSON.parse((await gpg.decrypt(manifestFile)).toString().trimEnd())).toMatchObject({ size, partCount: count });
  }, 60_000);

  test('a part that fails fails the file, with no unhandled rejection from the parts still in flight', async () => {
    const failing = Object.assign(async (data: Uint8Array) => {
      if (data[0] === 1) throw new Error('worker stopped');
      return new Uint8Array(1);
    }, { parallel: 3 }) as PartEncrypter;
    const sealer = new SubmissionSealer({ submission: 'ab'.repeat(16), name: 'x', type: 'application/octet-stream', recipients, partSize: 16, encrypt: failing });
    const file = new Uint8Array(16 * 6).fill(1, 16, 32).fill(1, 48, 64);
    const sealed: Uint8Array[] = [];
    await expect((async () => {
      for await (const part of sealFile(sealer, file.length, async (s, e) => file.slice(s, e))) sealed.push(part);
    })()).rejects.toThrow('worker stopped');
    expect(sealed).toHaveLength(1);
  });

  test('parallel must be a small whole number', () => {
    for (const parallel of [0, 1.5, 17]) {
      const encrypt = Object.assign(async () => new Uint8Array(0), { parallel }) as PartEncrypter;
      expect(() => new SubmissionSealer({ submission: 'ab'.repeat(16), name: 'x', type: 'y', recipients, encrypt })).toThrow('Bad number of parts');
    }
  });
});
