import fc from 'fast-check';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import {
  DecryptionError, decryptObject, encryptObject, generateKeyPair, NotEncryptedError, readJournalistKey, readPrivateKey, UnsupportedKeyError,
  type PrivateKey, type PublicKey,
} from '../../../common/envelope/index.ts';
import { joinBytes, readAddedPackets, rewrapObject, splitHeader, unwrapSessionKey, wrapSessionKey } from '../../../common/envelope/rewrap.ts';

// Re-wrapping: the page unwraps an object's session key and wraps it for added keys; the server
// composes the new object from the kept PKESKs (byte-identical), the added ones and the same bulk.
type Person = { armored: string; key: PublicKey; keyId: string; private: PrivateKey; privateArmored: string };
let alice: Person;
let bob: Person;
let carol: Person;
let object: Uint8Array;
const text = new TextEncoder().encode('the ledger, page 12');

async function person(name: string): Promise<Person> {
  const pair = await generateKeyPair({ name });
  const read = await readJournalistKey(pair.publicKey);
  return { armored: read.armored, key: read.key, keyId: read.recipientKeyId, private: await readPrivateKey(pair.privateKey), privateArmored: pair.privateKey };
}

beforeAll(async () => {
  [alice, bob, carol] = await Promise.all([person('Alice'), person('Bob'), person('Carol')]);
  object = await encryptObject({ data: text, recipients: [alice.key, carol.key] });
});

const headerOf = (data: Uint8Array) => joinBytes(splitHeader(data).pkesks.map((p) => p.bytes));

describe('splitHeader', () => {
  test('names each PKESK with its exact bytes and finds the SEIPD packet, from the whole object or a prefix', () => {
    const whole = splitHeader(object);
    expect(whole.pkesks.map((p) => p.keyId)).toEqual([alice.keyId, carol.keyId]);
    expect(Buffer.from(headerOf(object))).toEqual(Buffer.from(object.subarray(0, whole.sealedAt)));
    expect(object[whole.sealedAt]).toBe(0xc0 | 18);
    const prefix = splitHeader(object.subarray(0, whole.sealedAt + 3));
    expect(prefix.sealedAt).toBe(whole.sealedAt);
    expect(prefix.pkesks.map((p) => p.keyId)).toEqual([alice.keyId, carol.keyId]);
  });

  test('refuses a prefix cut inside the PKESKs, plaintext, and PKESKs without a data packet', () => {
    const { pkesks } = splitHeader(object);
    expect(() => splitHeader(object.subarray(0, pkesks[0]!.bytes.length + 5))).toThrow(NotEncryptedError);
    expect(() => splitHeader(text)).toThrow(NotEncryptedError);
    expect(() => splitHeader(headerOf(object))).toThrow(NotEncryptedError);
  });
});

describe('readAddedPackets (the server check of what the page uploads)', () => {
  test('reads a run of v3 PKESKs and refuses trailing bytes, other packets and other versions', async () => {
    const added = await wrapSessionKey(await unwrapSessionKey(headerOf(object), [alice.private]), [bob.armored]);
    expect(readAddedPackets(added).map((p) => p.keyId)).toEqual([bob.keyId]);
    expect(() => readAddedPackets(joinBytes([added, new Uint8Array([1])]))).toThrow(NotEncryptedError);
    expect(() => readAddedPackets(object)).toThrow(/SEIPDv1 data packet may be sent|data packet/);
    const v6 = Uint8Array.from(added);
    v6[2] = 6; // the new-format header is two bytes: the version follows
    expect(() => readAddedPackets(v6)).toThrow(/version 6/);
    expect(readAddedPackets(new Uint8Array(0))).toEqual([]);
  });
});

describe('readAddedPackets on hostile bytes', () => {
  test('either reads PKESKs that tile the input exactly, or refuses with NotEncryptedError; nothing else', async () => {
    const sessionKey = await unwrapSessionKey(headerOf(object), [alice.private]);
    const good = await wrapSessionKey(sessionKey, [bob.armored, carol.armored]);
    const mutated = fc.tuple(fc.nat({ max: good.length - 1 }), fc.integer({ min: 0, max: 255 })).map(([at, b]) => {
      const copy = Uint8Array.from(good);
      copy[at] = b;
      return copy;
    });
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 600 }), mutated, fc.nat({ max: good.length }).map((n) => good.subarray(0, n))), (bytes) => {
        try {
          const packets = readAddedPackets(bytes);
          expect(packets.reduce((n, p) => n + p.bytes.length, 0)).toBe(bytes.length);
        } catch (error) {
          expect(error).toBeInstanceOf(NotEncryptedError);
        }
      }),
      { numRuns: 3000, seed: 20261206 },
    );
  });
});

describe('unwrapSessionKey', () => {
  test('gives the session key openpgp.js reads with the same key', async () => {
    const message = await openpgp.readMessage({ binaryMessage: object });
    const [expected] = await openpgp.decryptSessionKeys({ message, decryptionKeys: [carol.private] });
    const got = await unwrapSessionKey(headerOf(object), [carol.private]);
    expect(Buffer.from(got)).toEqual(Buffer.from(expected!.data));
    expect(got.length).toBe(32);
  });

  test('refuses a key the object is not sealed to, and no packets at all', async () => {
    await expect(unwrapSessionKey(headerOf(object), [bob.private])).rejects.toThrow(DecryptionError);
    await expect(unwrapSessionKey(new Uint8Array(0), [alice.private])).rejects.toThrow(DecryptionError);
  });
});

describe('wrapSessionKey', () => {
  test('writes one v3 PKESK per key for a curve25519Legacy v4 key, never v6', async () => {
    const sessionKey = await unwrapSessionKey(headerOf(object), [alice.private]);
    const added = await wrapSessionKey(sessionKey, [bob.armored, alice.armored]);
    const packets = readAddedPackets(added);
    expect(packets.map((p) => p.keyId)).toEqual([bob.keyId, alice.keyId]);
    for (const p of packets) expect(p.bytes[p.bytes[0]! & 0x40 ? 2 : 3]).toBe(3);
  });

  test('refuses a private key, a v6 key, no keys and a session key of the wrong size', async () => {
    const key = new Uint8Array(32);
    await expect(wrapSessionKey(key, [alice.privateArmored])).rejects.toThrow(UnsupportedKeyError);
    const v6 = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'Six' }], format: 'armored', config: { v6Keys: true } });
    await expect(wrapSessionKey(key, [v6.publicKey])).rejects.toThrow(UnsupportedKeyError);
    await expect(wrapSessionKey(key, [])).rejects.toThrow(/No keys/);
    await expect(wrapSessionKey(new Uint8Array(31), [bob.armored])).rejects.toThrow(/32 bytes/);
  });
});

describe('rewrapObject', () => {
  test('adds a reader: the bulk and the kept PKESK bytes are identical, and both keys decrypt', async () => {
    const added = await wrapSessionKey(await unwrapSessionKey(headerOf(object), [alice.private]), [bob.armored]);
    const renewed = rewrapObject(object, new Set([alice.keyId, carol.keyId]), added);
    const before = splitHeader(object);
    const after = splitHeader(renewed);
    expect(after.pkesks.map((p) => p.keyId)).toEqual([alice.keyId, carol.keyId, bob.keyId]);
    expect(Buffer.from(after.pkesks[0]!.bytes)).toEqual(Buffer.from(before.pkesks[0]!.bytes));
    expect(Buffer.from(renewed.subarray(after.sealedAt))).toEqual(Buffer.from(object.subarray(before.sealedAt)));
    for (const who of [alice, bob, carol]) expect(Buffer.from(await decryptObject({ data: renewed, keys: [who.private] }))).toEqual(Buffer.from(text));
  });

  test('a key left out of `keep` no longer opens the object (rotation drops the old key)', async () => {
    const added = await wrapSessionKey(await unwrapSessionKey(headerOf(object), [alice.private]), [bob.armored]);
    const renewed = rewrapObject(object, new Set([carol.keyId]), added);
    expect(splitHeader(renewed).pkesks.map((p) => p.keyId)).toEqual([carol.keyId, bob.keyId]);
    await expect(decryptObject({ data: renewed, keys: [alice.private] })).rejects.toThrow(DecryptionError);
    expect(Buffer.from(await decryptObject({ data: renewed, keys: [bob.private] }))).toEqual(Buffer.from(text));
  });
});
