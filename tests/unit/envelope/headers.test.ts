import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  assertAddressedTo, encryptObject, generateKeyPair, NotEncryptedError, readJournalistKey, readObjectHeaders, readRecipientKeyIds, WrongRecipientsError, type JournalistKey,
} from '../../../common/envelope/index.ts';
import { makeGpgHome, type GpgHome } from '../../helpers/gpg.ts';
import { concat, header, packet, partialPacket, splitObject, TAG, type LengthForm } from '../../helpers/packets.ts';

let a: JournalistKey;
let b: JournalistKey;
let object: Uint8Array;
const data = new TextEncoder().encode('the plaintext');

beforeAll(async () => {
  a = await readJournalistKey((await generateKeyPair({ name: 'A' })).publicKey);
  b = await readJournalistKey((await generateKeyPair({ name: 'B' })).publicKey);
  object = await encryptObject({ data, recipients: [a.key, b.key] });
});

const refuse = (bytes: Uint8Array, why?: RegExp) => {
  expect(() => readObjectHeaders(bytes)).toThrow(NotEncryptedError);
  if (why) expect(() => readObjectHeaders(bytes)).toThrow(why);
};
const keyIds = (bytes: Uint8Array) => readObjectHeaders(bytes).recipientKeyIds;

describe('what the server accepts', () => {
  test('an object for exactly the current keys', () => {
    expect(() => assertAddressedTo(object, [b.recipientKeyId, a.recipientKeyId])).not.toThrow();
    expect(keyIds(object)).toEqual([a.recipientKeyId, b.recipientKeyId]);
  });

  test.each([
    ['one key missing', () => [a], () => [a, b]],
    ['an extra key', () => [a, b], () => [a]],
    ['another key entirely', () => [b], () => [a]],
  ])('refuses %s', async (_label, sent, expected) => {
    const other = await encryptObject({ data, recipients: sent().map((k) => k.key) });
    expect(() => assertAddressedTo(other, expected().map((k) => k.recipientKeyId))).toThrow(WrongRecipientsError);
  });

  test('a PKESK named twice is not two recipients', () => {
    const { pkesks, seipdBody } = splitObject(object);
    const twice = concat(pkesks[0]!, pkesks[0]!, packet(TAG.seipd, seipdBody));
    expect(() => assertAddressedTo(twice, [a.recipientKeyId, b.recipientKeyId])).toThrow(WrongRecipientsError);
  });

  // (openpgp.js frames an RSA PKESK with the two-octet form: see the GnuPG-made key below.)
  const pkeskForms: LengthForm[] = ['new1', 'new5', 'old1', 'old2', 'old4'];
  test.each(pkeskForms)('PKESKs framed with %s lengths, SEIPD with every definite and partial form', (form) => {
    const { pkesks, seipdBody } = splitObject(object);
    const body = (p: Uint8Array) => p.subarray(p[1]! < 192 ? 2 : p[1]! < 224 ? 3 : 6);
    const head = concat(...pkesks.map((p) => packet(TAG.pkesk, body(p), form)));
    const small = concat(new Uint8Array([1]), new Uint8Array(150));
    const mid = concat(new Uint8Array([1]), new Uint8Array(1000));
    const big = concat(new Uint8Array([1]), new Uint8Array(randomBytes(70_000)));
    const seipds = [packet(TAG.seipd, seipdBody), packet(TAG.seipd, small, 'new1'), packet(TAG.seipd, mid, 'new2'), packet(TAG.seipd, big, 'new5')];
    for (const power of [9, 10, 13, 16]) seipds.push(partialPacket(TAG.seipd, big, power));
    for (const seipd of seipds) expect(keyIds(concat(head, seipd))).toEqual([a.recipientKeyId, b.recipientKeyId]);
  });

  test('a partial chain whose chunks shrink to single bytes, and one ending in a zero-length chunk', () => {
    const { pkesks } = splitObject(object);
    const body = concat(new Uint8Array([1]), new Uint8Array(511));
    const ones = Array.from({ length: 1000 }, () => new Uint8Array([0xe0, 0x42]));
    expect(keyIds(concat(...pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe9]), body, ...ones, new Uint8Array([0x01, 0x42])))).toHaveLength(2);
    expect(keyIds(concat(...pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe9]), body, new Uint8Array([0x00])))).toHaveLength(2);
  });
});

describe('real GnuPG 2.2 output passes', () => {
  const homes: GpgHome[] = [];
  afterAll(() => Promise.all(homes.map((h) => h.cleanup())));
  const run = promisify(execFile);

  test.each([['RSA', 'default'], ['cv25519', 'ed25519']] as const)('%s keys, small and large, from a file and from a pipe', async (_label, algo) => {
    const home = await makeGpgHome(`gpg-${algo}`, algo);
    homes.push(home);
    const key = await readJournalistKey(await readFile(home.publicKeyFile, 'utf8'));
    for (const size of [0, 100, 5000, 300_000]) {
      const plaintext = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
      const input = size > 65536 ? concat(...Array<Uint8Array>(Math.ceil(size / 65536)).fill(plaintext)) : plaintext;
      for (const extra of [[], ['--compress-algo', 'none']]) {
        const child = run('gpg', ['--batch', '--quiet', '--trust-model', 'always', ...extra, '--encrypt', '-r', home.email, '-o', '-'], { env: { ...process.env, GNUPGHOME: home.home }, encoding: 'buffer', maxBuffer: 1 << 24 });
        child.child.stdin!.end(input);
        const out = new Uint8Array((await child).stdout);
        expect(keyIds(out), `${size} ${extra.join(' ')}`).toEqual([key.recipientKeyId]);
      }
    }
    // openpgp.js output to the same (gpg-made) key.
    expect(keyIds(await encryptObject({ data, recipients: [key.key] }))).toEqual([key.recipientKeyId]);
  });
});

describe('what is not an encrypted object', () => {
  test('plaintext, empty input, random bytes and armour', async () => {
    refuse(new TextEncoder().encode('%PDF-1.7 a plain document'), /not an encrypted OpenPGP message/);
    refuse(new Uint8Array(0));
    refuse(Object.assign(crypto.getRandomValues(new Uint8Array(4096)), { 0: 0x00 }));
    const armored = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: a.key });
    refuse(new TextEncoder().encode(armored), /armour/);
  });

  test('a password-encrypted (SKESK) message, a literal and a signed one', async () => {
    refuse((await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), passwords: ['x'], format: 'binary' })) as Uint8Array, /password/);
    refuse((await openpgp.createMessage({ binary: data })).write(), /literal/);
    const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'S' }], format: 'object' });
    refuse((await openpgp.sign({ message: await openpgp.createMessage({ binary: data }), signingKeys: privateKey, format: 'binary' })) as Uint8Array);
  });

  test('a SEIPDv2 (AEAD) message, which GnuPG 2.2 cannot read', async () => {
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'V2' }], config: { aeadProtect: true }, format: 'object' });
    const message = await openpgp.encrypt({ message: await openpgp.createMessage({ binary: data }), encryptionKeys: publicKey, format: 'binary' });
    const keyId = (await publicKey.getEncryptionKey()).getKeyID().toHex();
    expect(() => assertAddressedTo(message as Uint8Array, [keyId])).toThrow(/SEIPDv1/);
  });

  describe('around real PKESKs and a real SEIPD', () => {
    const parts = () => {
      const { pkesks, seipdBody } = splitObject(object);
      return { pkesks: concat(...pkesks), seipd: packet(TAG.seipd, seipdBody), seipdBody, first: pkesks[0]! };
    };
    const junk = new TextEncoder().encode('plaintext smuggled along');
    test.each([
      ['compressed', TAG.compressed, /compressed/], ['marker', TAG.marker, /marker/], ['literal', TAG.literal, /literal/],
      ['trust', TAG.trust, /trust/], ['padding', TAG.padding, /padding/], ['reserved tag 0', 0, /tag 0/],
      ['unknown tag 40', 40, /tag 40/], ['private tag 63', 63, /tag 63/], ['MDC outside', 19, /modification/],
    ])('a %s packet before, between or after', (_label, tag, why) => {
      const { pkesks, seipd } = parts();
      for (const bytes of [concat(packet(tag, junk), pkesks, seipd), concat(pkesks, packet(tag, junk), seipd), concat(pkesks, seipd, packet(tag, junk))]) {
        refuse(bytes);
      }
      refuse(concat(pkesks, packet(tag, junk), seipd), why);
    });

    test('no PKESK, trailing bytes, truncation at every length, a length past the end', () => {
      const { pkesks, seipd } = parts();
      refuse(seipd, /not encrypted to any public key/);
      refuse(concat(pkesks, seipd, new Uint8Array([0])), /after the data packet/);
      const whole = concat(pkesks, seipd);
      for (let n = 0; n < whole.length; n++) refuse(whole.subarray(0, n));
      refuse(concat(pkesks, header(TAG.seipd, 0xfffffff0, 'new5'), new Uint8Array([1]), new Uint8Array(100)), /more bytes than were sent/);
    });

    test('partial lengths where they are not allowed or do not end', () => {
      const { pkesks, first } = parts();
      const body = first.subarray(2);
      const padded = concat(body, new Uint8Array(512 - body.length));
      refuse(concat(new Uint8Array([0xc0 | TAG.pkesk, 0xe9]), padded, new Uint8Array([0]), packet(TAG.seipd, new Uint8Array(100).fill(1))), /partial length/);
      const seipd = concat(new Uint8Array([1]), new Uint8Array(2000));
      refuse(concat(pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe8]), seipd.subarray(0, 256), new Uint8Array([100]), seipd.subarray(0, 100)), /under 512/);
      refuse(concat(pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe9]), seipd.subarray(0, 512)), /middle of a packet/);
      refuse(concat(pkesks, new Uint8Array([0xc0 | TAG.seipd, 0xe9]), seipd.subarray(0, 512), new Uint8Array([0xea]), seipd.subarray(0, 100)), /more bytes than were sent/);
    });

    test('old-format indeterminate lengths', () => {
      const { first, seipd } = parts();
      refuse(concat(new Uint8Array([0x80 | (TAG.pkesk << 2) | 3]), first.subarray(2), seipd), /indeterminate/);
    });

    test('malformed, oversized or foreign PKESKs', () => {
      const { first, seipd } = parts();
      const body = first.subarray(2);
      const withBody = (b: Uint8Array) => concat(packet(TAG.pkesk, b), seipd);
      refuse(withBody(Object.assign(new Uint8Array(body), { 0: 6 })), /version 6/);
      refuse(withBody(Object.assign(new Uint8Array(body), { 9: 16 })), /algorithm/);
      refuse(withBody(Object.assign(new Uint8Array(body), { 9: 25 })), /algorithm/);
      refuse(withBody(concat(body, new Uint8Array([0]))), /do not account for/);
      refuse(withBody(body.subarray(0, body.length - 1)));
      refuse(withBody(body.subarray(0, 9)));
      refuse(withBody(Object.assign(new Uint8Array(body), { 10: 0, 11: 0 })), /malformed number/);
      refuse(withBody(Object.assign(new Uint8Array(body), { 11: body[11]! + 1 })), /malformed number/);
      refuse(withBody(concat(body.subarray(0, 10), new Uint8Array([0x24, 0x00]), new Uint8Array(1152).fill(0xff))), /larger than/);
      const rsaLike = concat(body.subarray(0, 9), new Uint8Array([1, 0x08, 0x00]), new Uint8Array(256).fill(0xff));
      expect(keyIds(withBody(rsaLike))).toHaveLength(1);
    });

    test('a SEIPD too short to hold ciphertext', () => {
      const { pkesks } = parts();
      refuse(concat(pkesks, packet(TAG.seipd, new Uint8Array([1, 2, 3]))), /too short/);
      refuse(concat(pkesks, packet(TAG.seipd, new Uint8Array(0))));
    });
  });
});

describe('readRecipientKeyIds: the recipients from a stored object\'s first bytes', () => {
  test('reads PKESKs and stops at the data packet, wherever the prefix ends inside it', async () => {
    const big = await encryptObject({ data: new Uint8Array(200_000), recipients: [a.key, b.key] });
    const { pkesks } = splitObject(big);
    const headLength = concat(...pkesks).length;
    for (const n of [headLength + 7, headLength + 100, 64 * 1024, big.length]) {
      expect(readRecipientKeyIds(big.subarray(0, n))).toEqual([a.recipientKeyId, b.recipientKeyId]);
    }
  });

  test('refuses a prefix that ends among the PKESKs, or bytes that are no object', () => {
    const { pkesks } = splitObject(object);
    expect(() => readRecipientKeyIds(object.subarray(0, pkesks[0]!.length + 5))).toThrow(NotEncryptedError);
    expect(() => readRecipientKeyIds(concat(...pkesks))).toThrow(/recipients cannot be read/);
    expect(() => readRecipientKeyIds(new TextEncoder().encode('plain'))).toThrow(NotEncryptedError);
  });
});
