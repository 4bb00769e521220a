import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decryptObject, generateKeyPair, readJournalistKey, readPrivateKey, splitHeader, type PrivateKey } from '../../common/envelope/index.ts';
import { sessionKeyOpener } from '../../common/envelope/session-key.ts';
import { openBulk, PartOpener } from '../../newsroom/bulk-open.ts';

// Objects made by GnuPG and by Sequoia for a Sealdrop journalist key (as a colleague or a test
// would make them, uncompressed) open with sealdrop decrypt's native bulk layer to the same bytes
// openpgp.js gives (copied out, or written into an output as sealdrop decrypt's workers do): a
// definite length from a file, partial lengths from a pipe. gpg's default
// (compressed) object is refused by name: no Sealdrop writer compresses.
const run = promisify(execFile);
let work: string;
let key: PrivateKey;
let fingerprint: string;
let certFile: string;
const gnupg = () => path.join(work, 'gnupg');

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bulk-readers-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  key = await readPrivateKey(pair.privateKey);
  fingerprint = (await readJournalistKey(pair.publicKey)).fingerprint;
  certFile = path.join(work, 'cert.asc');
  await writeFile(certFile, pair.publicKey);
  await run('mkdir', ['-m', '700', gnupg()]);
  await run('gpg', ['--batch', '--quiet', '--homedir', gnupg(), '--import', certFile]);
});
afterAll(() => rm(work, { recursive: true, force: true }));

const sessionKey = (object: Uint8Array) => sessionKeyOpener([key])(object.subarray(0, splitHeader(object).sealedAt));
const native = async (object: Uint8Array) => openBulk(object, await sessionKey(object));

/** The object opened from a file by a worker's writer (sealdrop decrypt): the bytes it wrote at position 3 of an output. */
async function writtenNatively(object: Uint8Array): Promise<Buffer> {
  const [part, out] = [path.join(work, 'part.pgp'), path.join(work, 'out.bin')];
  writeFileSync(part, object);
  writeFileSync(out, 'abc');
  const fd = openSync(out, 'r+');
  try {
    const written = await new PartOpener().openFileTo(part, await sessionKey(object), { fd, position: 3, own: Number.MAX_SAFE_INTEGER });
    expect(written).toMatchObject({ at: 3, zeroTail: true });
    expect(written.wrote).toBe(written.length);
  } finally {
    closeSync(fd);
  }
  return readFileSync(out).subarray(3);
}

/** Runs `command` with `input` on stdin (a pipe: the writer does not know the length) and returns its stdout. */
function piped(command: string, args: string[], input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin!.end(input);
  });
}

const gpgArgs = (compress: string) => ['--batch', '--quiet', '--homedir', gnupg(), '--trust-model', 'always', '--compress-algo', compress, '-r', fingerprint, '--encrypt'];

async function expectSame(object: Uint8Array, data: Buffer): Promise<void> {
  expect(Buffer.from((await native(object)).plaintext).equals(data)).toBe(true);
  expect((await writtenNatively(object)).equals(data)).toBe(true);
  expect(Buffer.from(await decryptObject({ data: object, keys: [key] })).equals(data)).toBe(true);
}

test.each([0, 1, 511, 8191, 100_003, 1_048_577])('gpg --compress-algo none, %i bytes, from a file and from a pipe', async (size) => {
  const data = randomBytes(size);
  const file = path.join(work, `plain-${size}`);
  await writeFile(file, data);
  await run('gpg', [...gpgArgs('none'), '-o', `${file}.gpg`, file]);
  await expectSame(await readFile(`${file}.gpg`), data);
  await expectSame(await piped('gpg', gpgArgs('none'), data), data);
});

test.each([0, 700, 65_536, 1_048_577])('sq encrypt --compression none, %i bytes, from a file and from a pipe', async (size) => {
  const data = randomBytes(size);
  const file = path.join(work, `sq-${size}`);
  await writeFile(file, data);
  const args = ['encrypt', '--binary', '--compression', 'none', '--recipient-cert', certFile];
  await expectSame((await run('sq', [...args, file], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })).stdout, data);
  await expectSame(await piped('sq', args, data), data);
});

test('gpg\'s default, compressed, object is refused natively (openpgp.js would inflate it)', async () => {
  const data = Buffer.alloc(100_000, 0x61);
  const object = await piped('gpg', gpgArgs('zlib'), data);
  await expect(native(object)).rejects.toThrow(/compressed packet/);
  expect(Buffer.from(await decryptObject({ data: object, keys: [key] })).equals(data)).toBe(true);
});
