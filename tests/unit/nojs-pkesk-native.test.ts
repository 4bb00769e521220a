import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, readPrivateKey, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { ecdhParams } from '../../common/envelope/ecdh-params.ts';
import { wrapSessionKey } from '../../common/envelope/session-key.ts';
import { RECIPIENT_TTL_MS, wrapSessionKeyNatively } from '../../server/nojs/pkesk-native.ts';

// The no-JavaScript path's session keys wrapped natively (server/nojs/pkesk-native.ts) against
// openpgp.js's own PKESKs: the same packets but for their random ephemeral key and wrapped key,
// and openpgp.js opens them to the same session key. gpg and sq open whole objects made with them
// in tests/integration/seipd-readers.test.ts.
let alice: { key: PublicKey; private: PrivateKey };
let bob: { key: PublicKey; private: PrivateKey };

async function journalist(name: string) {
  const pair = await generateKeyPair({ name });
  return { key: (await readJournalistKey(pair.publicKey)).key, private: await readPrivateKey(pair.privateKey) };
}

beforeAll(async () => {
  [alice, bob] = await Promise.all([journalist('Alice'), journalist('Bob')]);
});

type Pkesk = { version: number; publicKeyID: openpgp.KeyID; publicKeyAlgorithm: number; encrypted: { V: Uint8Array; C: { data: Uint8Array } } };
const pkesks = async (bytes: Uint8Array) => [...(await openpgp.PacketList.fromBinary(bytes, { [openpgp.enums.packet.publicKeyEncryptedSessionKey]: openpgp.PublicKeyEncryptedSessionKeyPacket } as never))] as unknown as Pkesk[];

/** The session key openpgp.js finds in `bytes` (PKESKs) with `key`. */
async function opened(bytes: Uint8Array, key: PrivateKey) {
  const [found] = await openpgp.decryptSessionKeys({ message: await openpgp.readMessage({ binaryMessage: bytes }), decryptionKeys: [key] });
  return found!;
}

describe('native session-key packets', () => {
  test('openpgp.js opens them for each recipient, to the key wrapped, for AES-256', async () => {
    for (let run = 0; run < 8; run++) {
      const sessionKey = randomBytes(32);
      const bytes = await wrapSessionKeyNatively(sessionKey, [alice.key, bob.key]);
      for (const who of [alice, bob]) {
        const found = await opened(bytes, who.private);
        expect(found.algorithm).toBe('aes256');
        expect(Buffer.from(found.data).equals(sessionKey)).toBe(true);
      }
    }
  });

  test('the same packets as openpgp.js writes, but for the random ephemeral key and wrapped key', async () => {
    const sessionKey = randomBytes(32);
    const ours = await wrapSessionKeyNatively(sessionKey, [alice.key, bob.key]);
    const theirs = await wrapSessionKey(sessionKey, [alice.key, bob.key]);
    expect(ours.length).toBe(theirs.length);
    expect(ours.length).toBe(2 * 96);
    const [a, b] = [await pkesks(ours), await pkesks(theirs)];
    expect(a.map((p) => [p.version, p.publicKeyID.toHex(), p.publicKeyAlgorithm, p.encrypted.V.length, p.encrypted.V[0], p.encrypted.C.data.length]))
      .toEqual(b.map((p) => [p.version, p.publicKeyID.toHex(), p.publicKeyAlgorithm, p.encrypted.V.length, p.encrypted.V[0], p.encrypted.C.data.length]));
    // Each packet's header and fixed fields are openpgp.js's, octet for octet.
    for (const at of [0, 96]) expect(Buffer.from(ours.subarray(at, at + 14)).equals(Buffer.from(theirs.subarray(at, at + 14)))).toBe(true);
  });

  test('an RSA journalist among cv25519 ones: openpgp.js wraps for the RSA key alone, in its place, and each opens its own', async () => {
    const rsa = await openpgp.generateKey({ type: 'rsa', rsaBits: 2048, userIDs: [{ name: 'Rosa' }], format: 'object' });
    const asked: number[] = [];
    const counted = (key: Uint8Array, keys: PublicKey[]) => (asked.push(keys.length), wrapSessionKey(key, keys));
    const sessionKey = randomBytes(32);
    const bytes = await wrapSessionKeyNatively(sessionKey, [alice.key, rsa.publicKey, bob.key], Date.now(), counted);
    expect(asked).toEqual([1]); // once, for the RSA key only
    const packets = await pkesks(bytes);
    expect(packets.map((p) => p.publicKeyAlgorithm)).toEqual([18, 1, 18]); // ECDH, RSA, ECDH: the recipients' order
    for (const key of [alice.private, rsa.privateKey, bob.private]) expect(Buffer.from((await opened(bytes, key)).data).equals(sessionKey)).toBe(true);
  });

  test.each([['aes192', 24], ['aes256', 32]] as const)('a subkey whose KDF names %s key wrap (no writer here makes one): a %i-byte key-wrap key, and openpgp.js opens it', async (cipher, bytes) => {
    // gpg 2.2, sq and openpgp.js all make AES-128 KDF subkeys: the other sizes are made by
    // changing the KDF's cipher on both halves of a fresh key (the fingerprint in the KDF's
    // parameters stays the one computed when the key was read, on both sides alike).
    const pair = await generateKeyPair({ name: 'Kim' });
    const [pub, priv] = [(await readJournalistKey(pair.publicKey)).key, await readPrivateKey(pair.privateKey)];
    for (const key of [pub, priv]) (key.subkeys[0]!.keyPacket.publicParams as { kdfParams: { cipher: number } }).kdfParams.cipher = openpgp.enums.symmetric[cipher];
    expect(ecdhParams(pub.subkeys[0]!.keyPacket)?.keyBytes).toBe(bytes);
    // The changed parameters no longer match the binding signature, so openpgp.js's key selection
    // and its session-key search would refuse the key: the subkey is chosen here, and its packet
    // opened with openpgp.js's own PKESK decryption (RFC 6637, with these parameters).
    pub.getEncryptionKey = (async () => pub.subkeys[0]!) as unknown as typeof pub.getEncryptionKey;
    const sessionKey = randomBytes(32);
    const wrapped = await wrapSessionKeyNatively(sessionKey, [pub]);
    const [packet] = (await pkesks(wrapped)) as unknown as (Pkesk & { decrypt(k: unknown): Promise<void>; sessionKey: Uint8Array; sessionKeyAlgorithm: number })[];
    expect(packet!.encrypted.C.data).toHaveLength(48);
    await packet!.decrypt(priv.subkeys[0]!.keyPacket);
    expect(packet!.sessionKeyAlgorithm).toBe(openpgp.enums.symmetric.aes256);
    expect(Buffer.from(packet!.sessionKey).equals(sessionKey)).toBe(true);
  });

  test('a fresh ephemeral key every time: two wraps of one key differ', async () => {
    const sessionKey = randomBytes(32);
    const [x, y] = [await wrapSessionKeyNatively(sessionKey, [alice.key]), await wrapSessionKeyNatively(sessionKey, [alice.key])];
    expect(Buffer.from(x.subarray(14, 46)).equals(Buffer.from(y.subarray(14, 46)))).toBe(false);
    expect(Buffer.from(x).equals(Buffer.from(y))).toBe(false);
  });

  test('refuses what openpgp.js refuses: a wrong key size, no recipients', async () => {
    await expect(wrapSessionKeyNatively(randomBytes(16), [alice.key])).rejects.toThrow(/32 bytes/);
    await expect(wrapSessionKeyNatively(randomBytes(32), [])).rejects.toThrow(/No journalist keys/);
  });

  test('a key that expires is not wrapped for past its expiry, though its subkey was chosen under a minute before', async () => {
    const lifetime = RECIPIENT_TTL_MS / 2 / 1000; // seconds: the key expires before its first choice is a minute old
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Expiring' }], keyExpirationTime: lifetime, format: 'armored' });
    const key = await openpgp.readKey({ armoredKey: publicKey });
    const start = Date.now();
    await expect(wrapSessionKeyNatively(randomBytes(32), [key], start)).resolves.toHaveLength(96);
    await expect(wrapSessionKeyNatively(randomBytes(32), [key], start + 1000)).resolves.toHaveLength(96); // chosen, still valid
    // A second past its expiry: openpgp.js is asked again at once and refuses, as it would at that time.
    await expect(wrapSessionKeyNatively(randomBytes(32), [key], start + lifetime * 1000 + 1000)).rejects.toThrow(/encryption key|expired/i);
    await expect(wrapSessionKey(randomBytes(32), [key]).then(() => 'valid now')).resolves.toBe('valid now'); // the key is good at the real time
  });

  test('a key that never expires is chosen again after RECIPIENT_TTL_MS, or when the clock goes back', async () => {
    const key = (await journalist('Dora')).key;
    let asked = 0;
    const real = key.getEncryptionKey.bind(key);
    key.getEncryptionKey = (async (...a: Parameters<typeof real>) => (asked++, real(...a))) as typeof key.getEncryptionKey;
    const start = Date.now();
    for (const at of [start, start + 1, start + RECIPIENT_TTL_MS - 1]) await wrapSessionKeyNatively(randomBytes(32), [key], at);
    expect(asked).toBe(1);
    await wrapSessionKeyNatively(randomBytes(32), [key], start + RECIPIENT_TTL_MS);
    expect(asked).toBe(2);
    await wrapSessionKeyNatively(randomBytes(32), [key], start); // the clock went back a minute
    expect(asked).toBe(3);
  });

  test('a subkey whose KDF names a hash node:crypto lacks (SHA3-256) is left to openpgp.js', async () => {
    const key = (await journalist('Ezra')).key;
    const subkey = await key.getEncryptionKey();
    expect(ecdhParams(subkey.keyPacket)?.hash).toBe('sha256');
    (subkey.keyPacket.publicParams as { kdfParams: { hash: number } }).kdfParams.hash = openpgp.enums.hash.sha3_256;
    expect(ecdhParams(subkey.keyPacket)).toBeNull();
  });
});
