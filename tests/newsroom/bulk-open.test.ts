import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { decryptObject, encryptObject, generateKeyPair, readJournalistKey, readPrivateKey, splitHeader, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { sessionKeyOpener, wrapSessionKey } from '../../common/envelope/session-key.ts';
import { newPacketHeader as packetHeader } from '../../common/envelope/seipd-write.ts';
import { sealObject } from '../../server/nojs/seipd.ts';
import { literalDataRange } from '../../common/envelope/seipd-read.ts';
import { cfbDecrypt, openBulk, PIECE } from '../../newsroom/bulk-open.ts';

// sealdrop decrypt's native bulk layer (newsroom/bulk-open.ts over common/envelope/seipd-read.ts)
// against openpgp.js's decryption, which it replaced: the same plaintext for every object either
// writer makes, at random sizes; and a refusal for every malformed SEIPD body, where openpgp.js
// refuses too or where Sealdrop never writes such a thing (compression, extra packets).
let key: PrivateKey;
let recipient: PublicKey;

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Jo' });
  key = await readPrivateKey(pair.privateKey);
  recipient = (await readJournalistKey(pair.publicKey)).key;
});

/** Opened natively, a piece at a time: pieces as small as 512 bytes put every boundary in reach of small objects. */
const native = async (object: Uint8Array, piece = PIECE) => openBulk(object, await sessionKeyOpener([key])(object.subarray(0, splitHeader(object).sealedAt)), piece);
const pieces = fc.constantFrom(512, 528, 4096, 65_536, PIECE);
const sha256 = (data: Uint8Array) => createHash('sha256').update(data).digest('hex');

test('CFB decryption as ECB calls and an XOR, a piece at a time, equals OpenSSL\'s CFB, for every key size, length and piece size', () => {
  fc.assert(
    fc.property(fc.constantFrom(16, 24, 32), fc.integer({ min: 0, max: 70_000 }), pieces, (keyBytes, size, piece) => {
      const k = randomBytes(keyBytes);
      const ciphertext = randomBytes(size + 3).subarray(3); // at an odd offset, as inside an object
      const reference = createDecipheriv(`aes-${keyBytes * 8}-cfb`, k, Buffer.alloc(16));
      expect(Buffer.from(cfbDecrypt(k, ciphertext, piece)).equals(Buffer.concat([reference.update(ciphertext), reference.final()]))).toBe(true);
    }),
    { numRuns: 200 },
  );
});

describe('the same plaintext as openpgp.js', () => {
  test('objects openpgp.js writes (the page, the manifest) and the no-JS path writes, at random sizes', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300_000 }), fc.boolean(), pieces, async (size, nojs, piece) => {
        const data = randomBytes(size);
        const object = nojs ? await sealObject(data, [recipient]) : await encryptObject({ data, recipients: [recipient] });
        const opened = await native(object, piece);
        const reference = await decryptObject({ data: object, keys: [key] });
        expect(Buffer.from(opened.plaintext).equals(Buffer.from(reference))).toBe(true);
        expect(Buffer.from(opened.plaintext).equals(data)).toBe(true);
        expect(opened.sha256).toBe(sha256(data));
      }),
      { numRuns: 25 },
    );
  });
});

/** An object whose encrypted body is `inner` (packets between prefix and MDC), sealed correctly: what a writer holding the key could make. */
async function objectHolding(inner: Uint8Array, mdc: 'right' | 'wrong' = 'right'): Promise<Buffer> {
  const sessionKey = randomBytes(32);
  const random = randomBytes(16);
  const body = Buffer.concat([random, random.subarray(14), inner, Buffer.from([0xd3, 0x14])]);
  const hash = createHash('sha1').update(body).digest();
  if (mdc === 'wrong') hash[0]! ^= 1;
  const cipher = createCipheriv('aes-256-cfb', sessionKey, Buffer.alloc(16));
  const ciphertext = Buffer.concat([cipher.update(Buffer.concat([body, hash])), cipher.final()]);
  const pkesks = await wrapSessionKey(sessionKey, [recipient]);
  return Buffer.concat([pkesks, packetHeader(18, 1 + ciphertext.length), Buffer.from([1]), ciphertext]);
}

const literal = (data: Uint8Array, format = 0x62) => Buffer.concat([packetHeader(11, 6 + data.length), Buffer.from([format, 0, 0, 0, 0, 0]), data]);
/** A literal packet split into partial chunks (512 bytes, then the rest), as gpg writes from a pipe. */
const partialLiteral = (data: Uint8Array) => {
  const body = Buffer.concat([Buffer.from([0x62, 0, 0, 0, 0, 0]), data]);
  return Buffer.concat([Buffer.from([0xcb, 0xe9]), body.subarray(0, 512), packetHeader(0, body.length - 512).subarray(1), body.subarray(512)]);
};

/** A literal packet carrying a file name of `nameLength` bytes (openpgp.js and gpg write one; Sealdrop's writers do not). */
const named = (data: Uint8Array, nameLength: number) =>
  Buffer.concat([packetHeader(11, 6 + nameLength + data.length), Buffer.from([0x62, nameLength]), Buffer.alloc(nameLength, 0x61), Buffer.alloc(4), data]);

describe('where the file\'s bytes lie, read from the first decrypted piece (literalDataRange)', () => {
  /** A decrypted SEIPD body around `inner`: prefix, the packets, the MDC packet. */
  const body = (inner: Uint8Array) => Buffer.concat([Buffer.alloc(18, 7), inner, Buffer.from([0xd3, 0x14]), Buffer.alloc(20, 9)]);
  test('a literal packet of one definite length ending at the MDC: its data, whatever the name and length octets', () => {
    for (const [inner, dataAt] of [[literal(Buffer.alloc(100)), 18 + 2 + 6], [literal(Buffer.alloc(9000)), 18 + 6 + 6], [named(Buffer.alloc(300), 255), 18 + 3 + 6 + 255]] as const) {
      const plain = body(inner);
      expect(literalDataRange(plain, 16, plain.length)).toEqual({ start: dataAt, end: plain.length - 22 });
      expect(literalDataRange(plain.subarray(0, dataAt), 16, plain.length)).toEqual({ start: dataAt, end: plain.length - 22 }); // from the header alone
    }
  });
  test('anything else is left to readSeipdPlaintext (null): partial chunks, another length, another packet, too little read', () => {
    const data = Buffer.alloc(1000);
    for (const inner of [partialLiteral(data), Buffer.concat([literal(data), literal(data)]), Buffer.concat([packetHeader(2, 4), Buffer.from([4, 0, 0, 0])]), Buffer.alloc(0)]) {
      expect(literalDataRange(body(inner), 16, body(inner).length)).toBeNull();
    }
    const plain = body(literal(Buffer.alloc(9000)));
    expect(literalDataRange(plain.subarray(0, 20), 16, plain.length)).toBeNull(); // its length octets not read yet
    expect(literalDataRange(plain, 16, plain.length + 1)).toBeNull(); // does not end where the MDC starts
  });
});

describe('framing both read alike', () => {
  test('a well-formed object built by hand opens natively and in openpgp.js, partial lengths included', async () => {
    const data = randomBytes(5000);
    for (const inner of [literal(data), partialLiteral(data), literal(data, 0x75), named(data, 255)]) {
      const object = await objectHolding(inner);
      for (const piece of [512, PIECE]) {
        const opened = await native(object, piece);
        expect(Buffer.from(opened.plaintext).equals(data)).toBe(true);
        expect(opened.sha256).toBe(sha256(data));
      }
      expect(Buffer.from(await decryptObject({ data: object, keys: [key] })).equals(data)).toBe(true);
    }
  });
});

describe('refused, with nothing returned', () => {
  const data = randomBytes(2000);
  const compressed = Buffer.concat([packetHeader(8, 1 + literal(data).length), Buffer.from([0]), literal(data)]);
  test.each([
    ['a wrong MDC', () => objectHolding(literal(data), 'wrong'), /modification detection code/],
    ['a flipped ciphertext bit', async () => {
      const object = await objectHolding(literal(data));
      object[object.length - 100]! ^= 4;
      return object;
    }, /modification detection code/],
    ['a truncated object', async () => (await objectHolding(literal(data))).subarray(0, 1500), /claims more bytes/],
    ['trailing bytes after the data packet', async () => Buffer.concat([await objectHolding(literal(data)), Buffer.from([0xcb, 0x01, 0x00])]), /bytes after the data packet/],
    ['a compressed packet', () => objectHolding(compressed), /compressed packet/],
    ['a packet after the literal one', () => objectHolding(Buffer.concat([literal(data), literal(data)])), /bytes follow the literal packet/],
    ['a literal length past the MDC', () => objectHolding(Buffer.concat([packetHeader(11, 6 + data.length + 30), Buffer.from([0x62, 0, 0, 0, 0, 0]), data])), /claims more bytes/],
    ['a literal packet shorter than its fields', () => objectHolding(Buffer.from([0xcb, 0x03, 0x62, 0x00, 0x00])), /fields are malformed/],
    ['an unknown literal format', () => objectHolding(literal(data, 0x78)), /fields are malformed/],
    ['a name running past the packet', () => objectHolding(Buffer.concat([packetHeader(11, 8), Buffer.from([0x62, 200, 0, 0, 0, 0, 1, 2])])), /name runs past/],
    ['a signature where the literal belongs', () => objectHolding(Buffer.concat([packetHeader(2, 4), Buffer.from([4, 0, 0, 0])])), /tag 2/],
    ['no packet at all', () => objectHolding(Buffer.alloc(0)), /no literal packet/],
    ['a partial literal with no final chunk', async () => objectHolding(partialLiteral(data).subarray(0, 2 + 512)), /no final chunk/],
  ])('%s', async (_label, make, message) => {
    const object = await make();
    await expect(native(object)).rejects.toThrow(message);
    await expect(native(object, 512)).rejects.toThrow(message); // the fault in a later piece than the first
  });
});
