import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readJournalistKey, readObjectHeaders, type PublicKey } from '../../common/envelope/index.ts';
import { ecdhRecipient } from '../../common/envelope/ecdh-params.ts';
import { sealObject } from '../../server/nojs/seipd.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { makeSqKey, type SqKey } from '../helpers/sequoia.ts';

// What the no-JavaScript path's native bulk layer writes (server/nojs/seipd.ts) opens with the two
// OpenPGP implementations journalists use besides Sealdrop: GnuPG (`gpg -d`) and Sequoia
// (`sq decrypt`), with keys each made itself, both recipients of the same objects; and each
// refuses an object with one bit flipped.
let dave: GpgHome;
let carol: SqKey;
let recipients: PublicKey[];
let work: string;
let written = 0;

beforeAll(async () => {
  [dave, carol] = await Promise.all([makeGpgHome('dave', 'ed25519'), makeSqKey('carol')]);
  recipients = [(await readJournalistKey(await readFile(dave.publicKeyFile, 'utf8'))).key, (await readJournalistKey(carol.publicKey)).key];
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-seipd-'));
});

afterAll(async () => {
  await Promise.all([dave?.cleanup(), carol?.cleanup(), work && rm(work, { recursive: true, force: true })]);
});

async function objectFile(bytes: Uint8Array): Promise<string> {
  const file = path.join(work, `object-${written++}.pgp`);
  await writeFile(file, bytes);
  return file;
}

/** Resolves true when the reader refused the file (a non-zero exit), false when it printed plaintext. */
const refuses = (decrypt: (file: string) => Promise<Buffer>, file: string) => decrypt(file).then(() => false, () => true);

describe('gpg -d and sq decrypt', () => {
  // Empty, one byte, where the length fields grow an octet, a part of the default size and one past it.
  test.each([0, 1, 186, 187, 8378, 8379, 65_536, 4 * 1024 * 1024, 4 * 1024 * 1024 + 1])('open a %i-byte object byte for byte', async (size) => {
    const data = randomBytes(size);
    const file = await objectFile(await sealObject(data, recipients));
    expect((await dave.decrypt(file)).equals(data)).toBe(true);
    expect((await carol.decrypt(file)).equals(data)).toBe(true);
  });

  test('open objects of random sizes up to 2 MiB', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 2 * 1024 * 1024 }), async (size) => {
        const data = randomBytes(size);
        const file = await objectFile(await sealObject(data, recipients));
        expect((await dave.decrypt(file)).equals(data)).toBe(true);
        expect((await carol.decrypt(file)).equals(data)).toBe(true);
      }),
      { numRuns: 8, seed: 26 },
    );
  });

  test('gpg\'s and sq\'s keys are cv25519: the objects above carry session-key packets pkesk-native.ts wrote', async () => {
    for (const key of recipients) expect(await ecdhRecipient(key)).not.toBeNull();
  });

  test('with an RSA journalist among the recipients, openpgp.js wraps the RSA key\'s session key and pkesk-native.ts the cv25519 one\'s, and gpg opens it for each', async () => {
    const erin = await makeGpgHome('erin', 'default'); // gpg 2.2's default: RSA-3072 with an RSA encryption subkey
    try {
      const rsa = (await readJournalistKey(await readFile(erin.publicKeyFile, 'utf8'))).key;
      const data = randomBytes(70_000);
      const sealed = await sealObject(data, [recipients[0]!, rsa]);
      const file = await objectFile(sealed);
      expect((await erin.decrypt(file)).equals(data)).toBe(true);
      expect((await dave.decrypt(file)).equals(data)).toBe(true);
      // The cv25519 key's packet first (96 bytes, natively written), then the RSA key's.
      expect(readObjectHeaders(sealed).sealed.at).toBeGreaterThan(96 + 384);
      expect(await ecdhRecipient(recipients[0]!)).not.toBeNull();
      expect(await ecdhRecipient(rsa)).toBeNull();
    } finally {
      await erin.cleanup();
    }
  });

  test('both refuse an object with one bit flipped in its data, its prefix or its MDC', async () => {
    const data = randomBytes(100_000);
    const sealed = await sealObject(data, recipients);
    // Untouched, both open it: a refusal below is the flipped bit's doing.
    const intact = await objectFile(sealed);
    expect([(await dave.decrypt(intact)).equals(data), (await carol.decrypt(intact)).equals(data)]).toEqual([true, true]);
    const { sealed: seipd } = readObjectHeaders(sealed);
    for (const at of [seipd.bodyAt + 5, seipd.bodyAt + 50_000, sealed.length - 1]) {
      const bad = Buffer.from(sealed);
      bad[at]! ^= 0x10;
      const file = await objectFile(bad);
      expect(await refuses((f) => dave.decrypt(f), file), `gpg, bit flipped at ${at}`).toBe(true);
      expect(await refuses((f) => carol.decrypt(f), file), `sq, bit flipped at ${at}`).toBe(true);
    }
  });
});
