import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  checkSourceKeyLock, checkSourceKeyPair, decryptObject, encryptObject, generateSourceKeyPair, readJournalistKey, readPrivateKey, SourceKeyError, UnknownOptionError, type KeyPair,
} from '../../../common/envelope/index.ts';
import { makeGpgHome, type GpgHome } from '../../helpers/gpg.ts';

const PASSPHRASE = 'c'.repeat(128);
let pair: KeyPair;
let gpgMade: GpgHome;
beforeAll(async () => {
  pair = await generateSourceKeyPair({ passphrase: PASSPHRASE });
  gpgMade = await makeGpgHome('source', 'ed25519');
});
afterAll(() => gpgMade?.cleanup());

const bytesOf = async (armored: string) => (await openpgp.unarmor(armored)).data as Uint8Array;
const armorAs = (type: openpgp.enums.armor, bytes: Uint8Array) => openpgp.armor(type, bytes);

describe('generateSourceKeyPair', () => {
  test('makes exactly what the server accepts, re-armoured byte for byte', async () => {
    const checked = await checkSourceKeyPair(pair.publicKey, pair.privateKey);
    expect(checked.publicKey).toBe(pair.publicKey);
    expect(checked.privateKey).toBe(pair.privateKey);
    expect(checked.recipientKeyId).toMatch(/^[0-9a-f]{16}$/);
    await expect(checkSourceKeyLock(pair.privateKey)).resolves.toBeUndefined();
  });

  test('takes one options object: unknown options and a missing passphrase are refused', async () => {
    await expect(generateSourceKeyPair({ passphrase: 'x', name: 'Jo' } as never)).rejects.toBeInstanceOf(UnknownOptionError);
    await expect(generateSourceKeyPair({ passphrase: '' })).rejects.toThrow(/passphrase/);
  });

  test('an epoch-dated key still works: encrypt to it, unlock it, decrypt', async () => {
    const recipient = (await readJournalistKey(pair.publicKey)).key;
    const data = await encryptObject({ data: new TextEncoder().encode('reply to 1970'), recipients: [recipient] });
    const key = await readPrivateKey(pair.privateKey, PASSPHRASE);
    expect(new TextDecoder().decode(await decryptObject({ data, keys: [key] }))).toBe('reply to 1970');
  });

  test('GnuPG imports the epoch-dated public key and encrypts to it', async () => {
    const home = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-gpg-epoch-'));
    try {
      const gpg = (args: string[]) => promisify(execFile)('gpg', ['--batch', '--quiet', '--homedir', home, ...args]);
      await writeFile(path.join(home, 'source.asc'), pair.publicKey);
      await gpg(['--import', path.join(home, 'source.asc')]);
      expect((await gpg(['--with-colons', '--list-keys'])).stdout).toMatch(/^pub:-:255:22:[0-9A-F]{16}:0:/m);
      await writeFile(path.join(home, 'm.txt'), 'to the source');
      await gpg(['--trust-model', 'always', '--encrypt', '--recipient', 'Sealdrop source', '--output', path.join(home, 'm.pgp'), path.join(home, 'm.txt')]);
      const key = await readPrivateKey(pair.privateKey, PASSPHRASE);
      const data = new Uint8Array(await readFile(path.join(home, 'm.pgp')));
      expect(new TextDecoder().decode(await decryptObject({ data, keys: [key] }))).toBe('to the source');
    } finally {
      await rm(home, { recursive: true, force: true });
    }
  });
});

describe('checkSourceKeyPair refuses what Sealdrop does not make', () => {
  test('a key made by GnuPG', async () => {
    const [publicKey, privateKey] = await Promise.all([readFile(gpgMade.publicKeyFile, 'utf8'), readFile(gpgMade.secretKeyFile, 'utf8')]);
    await expect(checkSourceKeyPair(publicKey, privateKey)).rejects.toBeInstanceOf(SourceKeyError);
  });

  test('a trailing marker packet, which openpgp.js would silently skip', async () => {
    const marker = new Uint8Array([0xca, 0x03, 0x50, 0x47, 0x50]);
    const bytes = await bytesOf(pair.privateKey);
    const bent = armorAs(openpgp.enums.armor.privateKey, new Uint8Array([...bytes, ...marker]));
    await expect(checkSourceKeyPair(pair.publicKey, bent)).rejects.toThrow(/nothing else/);
    await expect(checkSourceKeyLock(bent)).rejects.toBeInstanceOf(SourceKeyError);
  });

  test('an armour comment is not stored: the checked key is re-armoured', async () => {
    const commented = pair.privateKey.replace('-----\n\n', '-----\nComment: made 2024-05-06 14:03:22\n\n');
    expect(commented).not.toBe(pair.privateKey);
    expect((await checkSourceKeyPair(pair.publicKey, commented)).privateKey).toBe(pair.privateKey);
  });

  test('a key made as before the epoch rule is refused at registration, but the no-JS login may still unlock it', async () => {
    const old = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Sealdrop source' }], passphrase: PASSPHRASE, config: { v6Keys: false, aeadProtect: false } });
    await expect(checkSourceKeyPair(old.publicKey, old.privateKey)).rejects.toThrow(/1970-01-01/);
    await expect(checkSourceKeyLock(old.privateKey)).resolves.toBeUndefined();
  });

  test('halves swapped, an unlocked key, garbage and an oversized field', async () => {
    await expect(checkSourceKeyPair(pair.privateKey, pair.publicKey)).rejects.toThrow(/public key was expected/);
    const unlocked = (await openpgp.decryptKey({ privateKey: await openpgp.readPrivateKey({ armoredKey: pair.privateKey }), passphrase: PASSPHRASE })).armor();
    await expect(checkSourceKeyPair(pair.publicKey, unlocked)).rejects.toThrow(/locked/);
    await expect(checkSourceKeyPair('hello', pair.privateKey)).rejects.toBeInstanceOf(SourceKeyError);
    await expect(checkSourceKeyPair(pair.publicKey, pair.privateKey + ' '.repeat(8000))).rejects.toThrow(/longer/);
  });
});
