import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey, readPrivateKey, type JournalistKey, type PrivateKey } from '../../common/envelope/index.ts';
import { joinBytes, rewrapObject, splitHeader, unwrapSessionKey, wrapSessionKey } from '../../common/envelope/rewrap.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { makeSqKey, type SqKey } from '../helpers/sequoia.ts';

// What a re-wrap makes must open with the keys added, in the tools journalists really use: an
// object sealed to A (a Sealdrop key) gets PKESKs for B (made by GnuPG, RSA by default and
// Ed25519/cv25519) and C (made by Sequoia); each decrypts it with its own key alone, while the
// bulk and A's PKESK stay byte for byte what they were. gpg and sq decrypt to stdout and the
// helpers reject on a non-zero exit, so a failure leaves no plaintext anywhere.
let work: string;
let a: { key: JournalistKey; private: PrivateKey };
let gpgRsa: GpgHome;
let gpgEd: GpgHome;
let sq: SqKey;
const plaintext = randomBytes(300_000);

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'A' });
  a = { key: await readJournalistKey(pair.publicKey), private: await readPrivateKey(pair.privateKey) };
  [gpgRsa, gpgEd, sq] = await Promise.all([makeGpgHome('brsa', 'default'), makeGpgHome('bed', 'ed25519'), makeSqKey('c')]);
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-rewrap-'));
}, 120_000);

afterAll(async () => {
  await Promise.all([gpgRsa?.cleanup(), gpgEd?.cleanup(), sq?.cleanup(), work && rm(work, { recursive: true, force: true })]);
});

test('an object sealed to A, re-wrapped for GnuPG and Sequoia keys, opens with each of them alone', async () => {
  const object = await encryptObject({ data: plaintext, recipients: [a.key.key] });
  const before = path.join(work, 'before.pgp');
  await writeFile(before, object);
  // Before the re-wrap, B's key alone cannot open it: gpg exits non-zero.
  await expect(gpgEd.decrypt(before)).rejects.toThrow();

  const armored = await Promise.all([readFile(gpgRsa.publicKeyFile, 'utf8'), readFile(gpgEd.publicKeyFile, 'utf8'), Promise.resolve(sq.publicKey)]);
  const added = await readAddedKeys(object, armored);
  const renewed = rewrapObject(object, new Set([a.key.recipientKeyId]), added);
  const file = path.join(work, 'after.pgp');
  await writeFile(file, renewed);

  const old = splitHeader(object);
  const now = splitHeader(renewed);
  expect(now.pkesks).toHaveLength(4);
  expect(Buffer.from(now.pkesks[0]!.bytes)).toEqual(Buffer.from(old.pkesks[0]!.bytes));
  expect(Buffer.from(renewed.subarray(now.sealedAt))).toEqual(Buffer.from(object.subarray(old.sealedAt)));

  expect((await gpgRsa.decrypt(file)).equals(plaintext)).toBe(true);
  expect((await gpgEd.decrypt(file)).equals(plaintext)).toBe(true);
  expect((await sq.decrypt(file)).equals(plaintext)).toBe(true);
}, 120_000);

/** The page's half: A's key unwraps the session key, wrapped again for the added keys. */
async function readAddedKeys(object: Uint8Array, armored: string[]): Promise<Uint8Array> {
  const header = joinBytes(splitHeader(object).pkesks.map((p) => p.bytes));
  return wrapSessionKey(await unwrapSessionKey(header, [a.private]), armored);
}
