import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, readPrivateKey, DecryptionError } from '../../../common/envelope/index.ts';
import { makeGpgHome, type GpgHome } from '../../helpers/gpg.ts';
import { readFile } from 'node:fs/promises';

// Adversarial keys are made with openpgp.js directly: the test needs keys Sealdrop itself never makes.
let signOnly: GpgHome;
beforeAll(async () => {
  signOnly = await makeGpgHome('signer', 'rsa3072-sign-only');
});
afterAll(() => signOnly?.cleanup());

describe('journalist keys', () => {
  test('a key made by Sealdrop is accepted and names its encryption subkey', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Jo' });
    const key = await readJournalistKey(publicKey);
    expect(key.fingerprint).toMatch(/^[0-9A-F]{40}$/);
    expect(key.recipientKeyId).toMatch(/^[0-9a-f]{16}$/);
    expect(key.recipientKeyId).not.toBe(key.fingerprint.slice(-16).toLowerCase()); // the subkey, not the primary
  });

  test('a key advertising SEIPDv2 is refused', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'A' }], config: { aeadProtect: true } });
    await expect(readJournalistKey(publicKey)).rejects.toThrow(/SEIPDv2/);
  });

  test('a v6 key is refused', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'A' }], config: { v6Keys: true } });
    await expect(readJournalistKey(publicKey)).rejects.toThrow(/v6 key/);
  });

  test('a v4 key with an RFC 9580 X25519 subkey is refused', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'curve25519', userIDs: [{ name: 'A' }], config: { v6Keys: false, aeadProtect: false } });
    await expect(readJournalistKey(publicKey)).rejects.toThrow(/RFC 9580 X25519/);
  });

  test('an RSA signing-only key (made by gpg) is refused', async () => {
    await expect(readJournalistKey(await readFile(signOnly.publicKeyFile, 'utf8'))).rejects.toThrow(/encryption-capable/);
  });

  test('a private key is refused, so it is never stored', async () => {
    const { privateKey } = await generateKeyPair({ name: 'Jo' });
    await expect(readJournalistKey(privateKey)).rejects.toThrow(/PRIVATE key/);
  });

  test('garbage is refused with advice', async () => {
    await expect(readJournalistKey('hello')).rejects.toThrow(/gpg --armor --export/);
  });
});

describe('private keys', () => {
  test('a wrong passphrase is a DecryptionError', async () => {
    const { privateKey } = await generateKeyPair({ name: 'Jo', passphrase: 'right one' });
    await expect(readPrivateKey(privateKey, 'wrong one')).rejects.toBeInstanceOf(DecryptionError);
    await expect(readPrivateKey(privateKey)).rejects.toThrow(/passphrase/);
    expect((await readPrivateKey(privateKey, 'right one')).isDecrypted()).toBe(true);
  });
});

describe('the stored journalist key is minimal', () => {
  // Threat: the key is served to every source; who certified it, or a photo, would identify people.
  const newKey = (name: string) => openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name }], format: 'object' });

  test('third-party certifications are dropped', async () => {
    const journalist = await newKey('Journalist');
    const voucher = await newKey('Colleague');
    const certified = await journalist.publicKey.signAllUsers([voucher.privateKey]);
    expect(certified.users[0]!.otherCertifications).toHaveLength(1);
    const stored = await openpgp.readKey({ armoredKey: (await readJournalistKey(certified.armor())).armored });
    expect(stored.users.map((u) => u.otherCertifications.length)).toEqual([0]);
    expect(stored.users[0]!.selfCertifications).toHaveLength(1);
  });

  test('user attributes (photo IDs) are dropped, user IDs kept', async () => {
    const { publicKey } = await newKey('Journalist');
    const packets = publicKey.toPacketList();
    // openpgp.js cannot make photo IDs and its types hide the field; an unsigned one still parses as a user.
    packets.push(Object.assign(new openpgp.UserAttributePacket(), { attributes: ['\x01not really a JPEG'] }));
    const withPhoto = await openpgp.readKey({ binaryKey: packets.write() });
    expect(withPhoto.users.filter((u) => u.userAttribute)).toHaveLength(1);
    const stored = await openpgp.readKey({ armoredKey: (await readJournalistKey(withPhoto.armor())).armored });
    expect(stored.users.map((u) => [u.userID?.userID, u.userAttribute])).toEqual([['Journalist', null]]);
  });
});
