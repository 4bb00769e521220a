import { execFile } from 'node:child_process';
import { randomBytes, randomFillSync } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey, readPrivateKey, splitHeader, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { sessionKeyOpener, wrapSessionKey, type NativeEcdh } from '../../common/envelope/session-key.ts';
import { nativeEcdh } from '../../newsroom/ecdh-native.ts';

// sealdrop decrypt opens each part's session key with node:crypto (X25519, the KDF's SHA-256, AES
// key unwrap: newsroom/ecdh-native.ts) instead of openpgp.js importing the private key through
// WebCrypto for every part. On the same inputs it must give exactly what openpgp.js gives, and
// refuse what openpgp.js refuses; anything it cannot open goes to openpgp.js.
const run = promisify(execFile);
let work: string;
let key: PrivateKey;
let locked: PrivateKey; // a key read with its passphrase
let recipient: PublicKey;
let lockedRecipient: PublicKey;
let other: PublicKey;
let certFile: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-ecdh-native-'));
  const [a, b, c] = await Promise.all([generateKeyPair({ name: 'Jo' }), generateKeyPair({ name: 'Lu', passphrase: 'native unwrap test' }), generateKeyPair({ name: 'Mo' })]);
  key = await readPrivateKey(a.privateKey);
  locked = await readPrivateKey(b.privateKey, 'native unwrap test');
  const publicKeys = await Promise.all([a, b, c].map(async (p) => (await readJournalistKey(p.publicKey)).key));
  [recipient, lockedRecipient, other] = [publicKeys[0]!, publicKeys[1]!, publicKeys[2]!];
  certFile = path.join(work, 'cert.asc');
  await writeFile(certFile, a.publicKey);
});
afterAll(() => rm(work, { recursive: true, force: true }));

/** nativeEcdh, counting the keys it opened. */
function counted(native: NativeEcdh = nativeEcdh): NativeEcdh & { opened: number } {
  const f = Object.assign((m: Parameters<NativeEcdh>[0]) => {
    const out = native(m);
    if (out) f.opened++;
    return out;
  }, { opened: 0 });
  return f;
}

const headerOf = (object: Uint8Array) => object.subarray(0, splitHeader(object).sealedAt);
const both = (keys: PrivateKey[], native: NativeEcdh, header: Uint8Array) =>
  Promise.all([sessionKeyOpener(keys, native)(header), sessionKeyOpener(keys)(header)]);

test('objects sealed to several keys: the session key openpgp.js finds, every one opened natively, with a key read with its passphrase too', async () => {
  const native = counted();
  const keys = [key, locked];
  for (let i = 0; i < 12; i++) {
    const recipients = i % 3 === 0 ? [other, recipient] : i % 3 === 1 ? [lockedRecipient] : [recipient, other, lockedRecipient];
    const object = await encryptObject({ data: randomBytes(i * 100), recipients });
    const [natively, byOpenpgp] = await both(keys, native, headerOf(object));
    expect(natively).toEqual(byOpenpgp);
    expect(natively.algorithm).toBe('aes256');
  }
  expect(native.opened).toBe(12);
});

test('any session key wrapped by openpgp.js comes back natively, byte for byte', async () => {
  const native = counted();
  await fc.assert(
    fc.asyncProperty(fc.uint8Array({ minLength: 32, maxLength: 32 }), async (sessionKey) => {
      const header = await wrapSessionKey(sessionKey, [recipient]);
      const opened = await sessionKeyOpener([key], native)(header);
      expect(opened).toEqual({ algorithm: 'aes256', data: sessionKey });
    }),
    { numRuns: 40 },
  );
  expect(native.opened).toBe(40);
});

test('objects gpg and Sequoia write for the key (AES-256 and AES-128 session keys): the same as openpgp.js, natively', async () => {
  const gnupg = path.join(work, 'gnupg');
  await run('mkdir', ['-m', '700', gnupg]);
  await run('gpg', ['--batch', '--quiet', '--homedir', gnupg, '--import', certFile]);
  const file = path.join(work, 'plain');
  await writeFile(file, randomBytes(1000));
  const objects: Uint8Array[] = [];
  for (const algo of ['AES256', 'AES']) {
    await run('gpg', ['--batch', '--quiet', '--yes', '--homedir', gnupg, '--trust-model', 'always', '--cipher-algo', algo, '--compress-algo', 'none', '-r', 'Jo', '-o', `${file}.gpg`, '--encrypt', file]);
    objects.push(await readFile(`${file}.gpg`));
  }
  objects.push((await run('sq', ['encrypt', '--binary', '--compression', 'none', '--recipient-cert', certFile, file], { encoding: 'buffer' })).stdout);
  const native = counted();
  const opened = [];
  for (const object of objects) {
    const [natively, byOpenpgp] = await both([key], native, headerOf(object));
    expect(natively).toEqual(byOpenpgp);
    opened.push(natively.algorithm);
  }
  expect(opened.slice(0, 2)).toEqual(['aes256', 'aes128']);
  expect(native.opened).toBe(objects.length);
});

test('a wrapped key altered anywhere is refused as openpgp.js refuses it; a native answer that is not a key leaves it to openpgp.js', async () => {
  const sessionKey = new Uint8Array(randomBytes(32));
  const header = await wrapSessionKey(sessionKey, [recipient]);
  // The last 40 octets are the wrapped key and its length; before them, the ephemeral point.
  for (const at of [header.length - 1, header.length - 20, header.length - 39, header.length - 45]) {
    const altered = Uint8Array.from(header);
    altered[at]! ^= 0x01;
    const refusals = await Promise.all([sessionKeyOpener([key], nativeEcdh)(altered), sessionKeyOpener([key])(altered)].map((p) => p.then(() => 'opened', (e: Error) => e.message)));
    expect(refusals[0]).toMatch(/no given key opens/);
    expect(refusals[0]).toBe(refusals[1]);
  }
  // Garbage, a bad padding, an AES-256 key with a wrong checksum, or nothing at all: openpgp.js opens it instead.
  const badChecksum = () => Uint8Array.from([9, ...randomBytes(32), 0, 0, 5, 5, 5, 5, 5]);
  for (const liar of [() => randomBytes(40), () => new Uint8Array(40).fill(8), badChecksum, () => null]) {
    const native = counted(liar);
    expect(await sessionKeyOpener([key], native)(header)).toEqual({ algorithm: 'aes256', data: sessionKey });
  }
  const wrongPrefix = counted((m) => nativeEcdh({ ...m, param: m.param.subarray(1) }));
  expect(await sessionKeyOpener([key], wrongPrefix)(header)).toEqual({ algorithm: 'aes256', data: sessionKey });
  expect(wrongPrefix.opened).toBe(0); // AES key wrap's check refused the wrong key-encryption key
});

test('leaves neither the X25519 secret nor the session key in Buffer\'s shared pool (small Buffer.concat results live there, never cleared)', async () => {
  const pool = () => Buffer.from(Buffer.allocUnsafe(1).buffer as ArrayBuffer);
  const sessionKey = randomFillSync(Buffer.allocUnsafeSlow(32)); // outside the pool itself
  // A key of its own, never opened by openpgp.js here (whose own X25519 code may leave copies
  // in the pool): only nativeEcdh handles its secret.
  const pair = await generateKeyPair({ name: 'Pool' });
  const header = await wrapSessionKey(new Uint8Array(sessionKey), [(await readJournalistKey(pair.publicKey)).key]);
  const secrets: Uint8Array[] = [];
  const spy: NativeEcdh = (m) => (secrets.push(new Uint8Array(m.secret)), nativeEcdh(m));
  const fresh = await readPrivateKey(pair.privateKey);
  const opened = await sessionKeyOpener([fresh], spy)(header);
  // A view, not Buffer.from(data), which would copy the key into the pool itself.
  expect(Buffer.from(opened.data.buffer, opened.data.byteOffset, opened.data.length).equals(sessionKey)).toBe(true);
  expect(secrets).toHaveLength(1);
  const now = pool();
  expect(now.indexOf(secrets[0]!), 'the X25519 secret').toBe(-1);
  expect(now.indexOf(sessionKey), 'the session key').toBe(-1);
});
