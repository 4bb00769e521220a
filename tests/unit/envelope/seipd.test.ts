import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  assertAddressedTo, decryptObject, encryptObject, generateKeyPair, openManifest, openSubmission, readJournalistKey, readObjectHeaders,
  readPrivateKey, SubmissionSealer, type PrivateKey, type PublicKey,
} from '../../../common/envelope/index.ts';
import { wrapSessionKey } from '../../../common/envelope/session-key.ts';
import { nativeHasher } from '../../../server/native-hash.ts';
import { PartMemories } from '../../../server/nojs/part-memory.ts';
import { newPacketHeader as packetHeader, type BulkSecrets } from '../../../common/envelope/seipd-write.ts';
import { sealInPlace, sealObject, seipdHeadLength, seipdPacket, streamLead } from '../../../server/nojs/seipd.ts';

// The no-JavaScript path's bulk layer (native AES-256-CFB and SHA-1) against openpgp.js, which
// every other writer uses: for the same session key and random prefix the SEIPDv1 packet must be
// the very bytes encryptObject writes, and what it writes must open everywhere openpgp.js's does.
let alice: { key: PublicKey; keyId: string; private: PrivateKey };
let bob: { key: PublicKey; keyId: string; private: PrivateKey };

async function journalist(name: string) {
  const pair = await generateKeyPair({ name });
  const read = await readJournalistKey(pair.publicKey);
  return { key: read.key, keyId: read.recipientKeyId, private: await readPrivateKey(pair.privateKey) };
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([journalist('Alice'), journalist('Bob')]);
});

/** The session key and random prefix openpgp.js chose for `ciphertext`, read back with the private key. */
async function secretsOf(ciphertext: Uint8Array, key: PrivateKey) {
  const message = await openpgp.readMessage({ binaryMessage: ciphertext });
  const [sessionKey] = await openpgp.decryptSessionKeys({ message, decryptionKeys: [key] });
  const { sealed } = readObjectHeaders(ciphertext);
  const encrypted = ciphertext.subarray(sealed.bodyAt + 1, sealed.bodyAt + 1 + 16);
  const random = createDecipheriv('aes-256-cfb', sessionKey!.data, Buffer.alloc(16)).update(encrypted);
  return { sessionKey: sessionKey!.data, random, sealed };
}

/** encryptObject's output, and ours for the same secrets: the SEIPD packets must be equal byte for byte. */
async function compare(data: Uint8Array) {
  const theirs = await encryptObject({ data, recipients: [alice.key] });
  const { sessionKey, random, sealed } = await secretsOf(theirs, alice.private);
  const ours = seipdPacket(data, { sessionKey, random });
  return { theirs: Buffer.from(theirs.subarray(sealed.at)), ours, pkesks: theirs.subarray(0, sealed.at), sessionKey, random };
}

/** The packet through OpenSSL's own AES-256-CFB in one call (the code before stop 34), which sealInPlace computes through CBC. */
function reference(data: Uint8Array, { sessionKey, random }: BulkSecrets, lead: Uint8Array = new Uint8Array(0)): Buffer {
  const literal = Buffer.concat([packetHeader(11, 6 + data.length), Buffer.from([0x62, 0, 0, 0, 0, 0])]);
  const plain = Buffer.concat([random, random.subarray(14), literal, data, Buffer.from([0xd3, 0x14])]);
  const body = createCipheriv('aes-256-cfb', sessionKey, Buffer.alloc(16)).update(Buffer.concat([plain, createHash('sha1').update(plain).digest()]));
  return Buffer.concat([lead, packetHeader(18, 1 + body.length), Buffer.from([1]), body]);
}

/** sealInPlace of `data` with its part at `at` of a view that begins `viewAt` bytes into shared memory; the object and the memory after. */
function sealAt(data: Uint8Array, at: number, viewAt: number, secrets: BulkSecrets, lead: Uint8Array) {
  const memory = new Uint8Array(new SharedArrayBuffer(viewAt + at + data.length + 22), viewAt);
  memory.set(data, at);
  const span = sealInPlace(memory, at, data.length, secrets, lead, true);
  return { object: Buffer.from(memory.subarray(span.start, span.end)), memory, sha256: span.sha256 };
}

// Where a length field grows an octet: the literal packet's body (6 + n) and the SEIPD body (47 + its header + n) at 192 and 8384.
const BOUNDARIES = [0, 1, 2, 15, 16, 17, 142, 143, 144, 185, 186, 187, 8333, 8334, 8335, 8377, 8378, 8379, 65_536, 4 * 1024 * 1024];

describe('the SEIPDv1 packet', () => {
  test.each(BOUNDARIES)('%i bytes: the same bytes as openpgp.js for the same key and prefix', async (size) => {
    const data = randomBytes(size);
    const { theirs, ours, sessionKey, random } = await compare(data);
    expect(ours.length).toBe(theirs.length);
    expect(ours.equals(theirs)).toBe(true);
    expect(reference(data, { sessionKey, random }).equals(theirs)).toBe(true);
  });

  // Around AES blocks, the 64 KiB slices and the literal head's sizes (its stream lead is 26, 27 or
  // 30 bytes), at every `at` mod 16 in views at every address mod 4: the keystream XORs by words,
  // by bytes or through a shifted copy, and the last partial block takes the last CBC block.
  const AROUND = [0, 1, 15, 16, 17, 185, 186, 8377, 8378, 65_535, 65_536, 65_537, 131_072 - 30, 131_072 - 29, 131_072 + 1];
  test('every alignment of the part and of its memory, lengths around blocks and slices: the bytes of OpenSSL\'s CFB, the SHA-256, no plaintext left', () => {
    const secrets = { sessionKey: randomBytes(32), random: randomBytes(16) };
    const lead = randomBytes(96);
    for (const size of AROUND) {
      const data = randomBytes(size);
      const expected = reference(data, secrets, lead);
      const sha256 = createHash('sha256').update(data).digest('hex');
      for (let at = 200; at < 216; at++) {
        for (let viewAt = 0; viewAt < 4; viewAt++) {
          const sealed = sealAt(data, at, viewAt, secrets, lead);
          expect(sealed.object.equals(expected), `${size} bytes at ${at}, view at ${viewAt}`).toBe(true);
          expect(sealed.sha256).toBe(sha256);
          expect(size < 64 || !Buffer.from(sealed.memory).includes(data.subarray(size - 64))).toBe(true);
        }
      }
    }
  });

  test('every length of the last partial block (the stream mod 16), at every `at` mod 4: the bytes of OpenSSL\'s CFB', () => {
    const secrets = { sessionKey: randomBytes(32), random: randomBytes(16) };
    for (let size = 70_000; size < 70_016; size++) {
      const data = randomBytes(size);
      const expected = reference(data, secrets);
      for (let at = 100; at < 104; at++) expect(sealAt(data, at, 0, secrets, new Uint8Array(0)).object.equals(expected), `${size} bytes at ${at}`).toBe(true);
    }
  });

  test('where the word-wise XOR needs it, the encrypted stream begins 4-byte aligned: in seipdPacket\'s buffer and in a no-JS part memory', () => {
    const secrets = { sessionKey: randomBytes(32), random: randomBytes(16) };
    for (const size of [0, 1, 200, 8378, 65_536]) {
      for (const leadSize of [0, 1, 2, 3, 96]) {
        const data = randomBytes(size);
        const packet = seipdPacket(data, secrets, randomBytes(leadSize));
        expect((packet.byteOffset + leadSize + seipdHeadLength(size) - streamLead(size)) % 4, `${size} bytes after ${leadSize}`).toBe(0);
        expect(packet.subarray(leadSize).equals(reference(data, secrets))).toBe(true);
      }
    }
    // Parts of 8,378 bytes or more (every full part) have the same stream lead as a 4 MiB part.
    expect(streamLead(8378)).toBe(streamLead(4 * 1024 * 1024));
    for (const recipients of [1, 2, 3, 5, 10]) expect((new PartMemories(8378, recipients, 1).take().at - streamLead(8378)) % 4).toBe(0);
  });

  test('random sizes up to 3 MiB: the same bytes as openpgp.js, and openpgp.js opens ours with PKESKs of its own shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.constantFrom(...BOUNDARIES), fc.integer({ min: 0, max: 3 * 1024 * 1024 })), async (size) => {
        const data = randomBytes(size);
        const { theirs, ours, pkesks, sessionKey } = await compare(data);
        expect(ours.equals(theirs)).toBe(true);
        // Our PKESKs for that same key, then our packet: a whole object openpgp.js decrypts to the data.
        const wrapped = await wrapSessionKey(sessionKey, [alice.key]);
        expect(wrapped.length).toBe(pkesks.length);
        expect(Buffer.from(await decryptObject({ data: Buffer.concat([wrapped, ours]), keys: [alice.private] })).equals(data)).toBe(true);
      }),
      { numRuns: 30, seed: 26 },
    );
  });

  test('sealed in place at any offset in shared memory: the same object as seipdPacket, the plaintext gone, its SHA-256 right', () => {
    fc.assert(
      fc.property(fc.oneof(fc.constantFrom(...BOUNDARIES.filter((n) => n < 100_000)), fc.integer({ min: 0, max: 300_000 })), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 600 }), (size, slack, leadSize) => {
        const data = randomBytes(size);
        const secrets = { sessionKey: randomBytes(32), random: randomBytes(16) };
        const lead = randomBytes(leadSize);
        const at = slack + lead.length + seipdHeadLength(size);
        const memory = new Uint8Array(new SharedArrayBuffer(at + size + 22 + slack));
        memory.set(data, at);
        const { start, end, sha256 } = sealInPlace(memory, at, size, secrets, lead, true);
        expect([start, end]).toEqual([slack, at + size + 22]);
        expect(Buffer.from(memory.subarray(start, end)).equals(seipdPacket(data, secrets, lead))).toBe(true);
        expect(sha256).toBe(createHash('sha256').update(data).digest('hex'));
        expect(size < 64 || !Buffer.from(memory).includes(data.subarray(0, 64))).toBe(true);
      }),
      { numRuns: 60, seed: 33 },
    );
    // A failure while sealing (here, reading the memory): the whole span erased, plaintext and digest.
    class Failing extends Uint8Array {
      reads = 0;
      override subarray(begin?: number, end?: number) {
        if (++this.reads === 5) throw new Error('the memory failed');
        return new Uint8Array(this.buffer, this.byteOffset + (begin ?? 0), (end ?? this.length) - (begin ?? 0));
      }
    }
    const failing = new Failing(new ArrayBuffer(600 + 200_000 + 22));
    failing.set(randomBytes(200_000), 600);
    expect(() => sealInPlace(failing, 600, 200_000, { sessionKey: randomBytes(32), random: randomBytes(16) }, randomBytes(96), true)).toThrow('the memory failed');
    expect(failing.every((b) => b === 0)).toBe(true);
    // No room for the head: refused, nothing written.
    const memory = new Uint8Array(100);
    expect(() => sealInPlace(memory, 10, 50, { sessionKey: randomBytes(32), random: randomBytes(16) })).toThrow(RangeError);
    expect(memory.every((b) => b === 0)).toBe(true);
  });

  test('a different prefix or key changes every byte after the version; the length never changes', async () => {
    const data = randomBytes(5000);
    const secrets = { sessionKey: randomBytes(32), random: randomBytes(16) };
    const a = seipdPacket(data, secrets);
    const b = seipdPacket(data, { ...secrets, random: randomBytes(16) });
    const c = seipdPacket(data, { ...secrets, sessionKey: randomBytes(32) });
    expect([b.length, c.length]).toEqual([a.length, a.length]);
    expect(a.subarray(0, 4).equals(b.subarray(0, 4))).toBe(true);
    expect(a.subarray(4, 20).equals(b.subarray(4, 20))).toBe(false);
    expect(a.subarray(4, 20).equals(c.subarray(4, 20))).toBe(false);
  });

  test('packet headers use the fewest length octets and refuse what a definite length cannot say', () => {
    expect([...packetHeader(18, 191)]).toEqual([0xd2, 191]);
    expect([...packetHeader(18, 192)]).toEqual([0xd2, 192, 0]);
    expect([...packetHeader(18, 8383)]).toEqual([0xd2, 223, 255]);
    expect([...packetHeader(18, 8384)]).toEqual([0xd2, 255, 0, 0, 0x20, 0xc0]);
    expect(() => packetHeader(18, 2 ** 32)).toThrow(RangeError);
    expect(() => seipdPacket(new Uint8Array(1), { sessionKey: new Uint8Array(16), random: new Uint8Array(16) })).toThrow(RangeError);
  });
});

describe('sealObject', () => {
  test('a whole object for two journalists: the server framing check accepts it and each opens it', async () => {
    const data = randomBytes(70_001);
    const sealed = await sealObject(data, [alice.key, bob.key]);
    expect(() => assertAddressedTo(sealed, [alice.keyId, bob.keyId])).not.toThrow();
    for (const reader of [alice, bob]) expect(Buffer.from(await decryptObject({ data: sealed, keys: [reader.private] })).equals(data)).toBe(true);
    // Same length as openpgp.js's object for the same plaintext and recipients (cv25519 PKESKs are fixed-size).
    expect(sealed.length).toBe((await encryptObject({ data, recipients: [alice.key, bob.key] })).length);
  });

  test('a fresh session key and prefix every time', async () => {
    const data = randomBytes(1000);
    const [a, b] = await Promise.all([sealObject(data, [alice.key]), sealObject(data, [alice.key])]);
    const [sa, sb] = await Promise.all([secretsOf(a, alice.private), secretsOf(b, alice.private)]);
    expect(Buffer.from(sa.sessionKey).equals(Buffer.from(sb.sessionKey))).toBe(false);
    expect(sa.random.equals(sb.random)).toBe(false);
  });

  test('a submission sealed part by part with it opens with openManifest and openSubmission', async () => {
    const file = randomBytes(3 * 65_536 + 999);
    const sealer = new SubmissionSealer({ submission: 'cd'.repeat(16), name: 'ledger.pdf', type: 'application/pdf', recipients: [alice.key], partSize: 65_536, hasher: nativeHasher, encrypt: (d) => sealObject(d, [alice.key]) });
    const parts: Uint8Array[] = [];
    for (let at = 0; at + 65_536 <= file.length; at += 65_536) parts.push(await sealer.sealPart(file.subarray(at, at + 65_536)));
    for await (const part of sealer.sealEnd(file.subarray(parts.length * 65_536))) parts.push(part);
    const manifest = await openManifest({ data: await sealer.sealManifest(), keys: [alice.private] });
    const out: Uint8Array[] = [];
    await openSubmission({ manifest, keys: [alice.private], readPart: async (n) => parts[n - 1] ?? null, write: async (b) => void out.push(b) });
    expect(Buffer.concat(out).equals(file)).toBe(true);
  });

  test('one flipped bit anywhere in the encrypted data makes openpgp.js refuse the object', async () => {
    const data = randomBytes(20_000);
    const sealed = await sealObject(data, [alice.key]);
    expect(Buffer.from(await decryptObject({ data: sealed, keys: [alice.private] })).equals(data)).toBe(true);
    const { sealed: seipd } = readObjectHeaders(sealed);
    // The prefix, the literal header, the data, the MDC packet and its last byte.
    for (const at of [seipd.bodyAt + 3, seipd.bodyAt + 21, seipd.bodyAt + 10_000, sealed.length - 21, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x01;
      await expect(decryptObject({ data: bad, keys: [alice.private] }), `bit flipped at ${at}`).rejects.toThrow();
    }
  });
});
