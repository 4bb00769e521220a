import * as openpgp from 'openpgp';
import { beforeAll, describe, expect, test } from 'vitest';
import { assertAddressedTo, encryptObject, generateKeyPair, NotEncryptedError, readJournalistKey, WrongRecipientsError, type JournalistKey } from '../../../client/envelope/index.ts';

let a: JournalistKey;
let b: JournalistKey;
const data = new TextEncoder().encode('the plaintext');

beforeAll(async () => {
  a = await readJournalistKey((await generateKeyPair({ name: 'A' })).publicKey);
  b = await readJournalistKey((await generateKeyPair({ name: 'B' })).publicKey);
});

describe('what the server accepts', () => {
  test('an object for exactly the current keys', async () => {
    const object = await encryptObject({ data, recipients: [a.key, b.key] });
    await expect(assertAddressedTo(object, [b.recipientKeyId, a.recipientKeyId])).resolves.toBeUndefined();
  });

  test.each([
    ['one key missing', () => [a], () => [a, b]],
    ['an extra key', () => [a, b], () => [a]],
    ['another key entirely', () => [b], () => [a]],
  ])('refuses %s', async (_label, sent, expected) => {
    const object = await encryptObject({ data, recipients: sent().map((k) => k.key) });
    await expect(assertAddressedTo(object, expected().map((k) => k.recipientKeyId))).rejects.toBeInstanceOf(WrongRecipientsError);
  });
});

describe('what is not an encrypted object', () => {
  const refuse = (bytes: Uint8Array) => expect(assertAddressedTo(bytes, [a.recipientKeyId])).rejects.toBeInstanceOf(NotEncryptedError);

  test('plaintext, empty input and random bytes', async () => {
    await refuse(new TextEncoder().encode('%PDF-1.7 a plain document'));
    await refuse(new Uint8Array(0));
    await refuse(crypto.getRandomValues(new Uint8Array(4096)));
  });

  test('an armoured message (the server takes binary only)', async () => {
    const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: a.key });
    await refuse(new TextEncoder().encode(armored));
  });

  test('trailing bytes after the data packet', async () => {
    const object = await encryptObject({ data, recipients: [a.key] });
    await refuse(new Uint8Array([...object, ...new TextEncoder().encode('plaintext tail')]));
  });

  test('a password-encrypted (SKESK) message', async () => {
    const message = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), passwords: ['x'], format: 'binary' });
    await refuse(message as Uint8Array);
  });

  test('an unencrypted literal or signed message', async () => {
    const literal = (await openpgp.createMessage({ binary: data })).write();
    await refuse(literal);
    const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'S' }], format: 'object' });
    const signed = await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: privateKey, format: 'binary' });
    await refuse(signed as Uint8Array);
  });

  test('a SEIPDv2 (AEAD) message, which GnuPG 2.2 cannot read', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'V2' }], config: { aeadProtect: true }, format: 'object' });
    const message = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: publicKey, format: 'binary' });
    const keyId = (await publicKey.getEncryptionKey()).getKeyID().toHex();
    await expect(assertAddressedTo(message as Uint8Array, [keyId])).rejects.toThrow(/SEIPDv1/);
  });
});
