import { createHash, randomBytes } from 'node:crypto';
import { beforeAll, expect, test } from 'vitest';
import {
  decryptObject, EnvelopeError, generateKeyPair, openManifest, openSubmission, PartMismatchError, readJournalistKey, readPrivateKey, sealFile,
  SubmissionSealer, type Manifest, type PrivateKey,
} from '../../../common/envelope/index.ts';
import type { WrittenPart } from '../../../common/envelope/open.ts';

// sealdrop decrypt's workers write each part's file bytes straight into the output, at the part's
// position; openSubmission then sees only what they report (WrittenPart) and must still check,
// in order: the part's length and SHA-256, that it wrote exactly its own bytes of the file where
// the previous part's ended, and that only zeros follow them.
const PART = 1024;
let key: PrivateKey;
let manifest: Manifest;
/** Each part's plaintext (padding included), as a worker would have decrypted it. */
let plain: Uint8Array[];
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Jo' });
  key = await readPrivateKey(pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  // 5441 bytes padded to 5632: six parts, the last 512 bytes, of which 321 the file's.
  const file = randomBytes(5 * PART + 321);
  const sealer = new SubmissionSealer({ submission: 'f'.repeat(32), name: 'f.bin', type: 'application/octet-stream', recipients: [recipient], partSize: PART });
  const parts: Uint8Array[] = [];
  for await (const part of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) parts.push(part);
  manifest = await openManifest({ data: await sealer.sealManifest(), keys: [key] });
  plain = await Promise.all(parts.map((data) => decryptObject({ data, keys: [key] })));
});

/** What an honest worker reports for part n (1-based) of a file of `size` bytes. */
const honest = (n: number, p = plain[n - 1]!, size = manifest.size): WrittenPart => {
  const at = (n - 1) * PART;
  const wrote = Math.max(0, Math.min(p.length, size - at));
  return { length: p.length, sha256: sha(p), at, wrote, zeroTail: p.subarray(wrote).every((b) => b === 0) };
};

async function open(report: (n: number) => WrittenPart | null, m = manifest): Promise<{ error: unknown; writes: number }> {
  let writes = 0;
  try {
    await openSubmission({
      manifest: m, keys: [key], checkFileDigest: false, readPart: async () => null,
      openPart: async (n) => report(n), write: async () => void writes++,
    });
    return { error: null, writes };
  } catch (error) {
    return { error, writes };
  }
}

test('parts written in place pass every check, and nothing goes through write()', async () => {
  expect(await open((n) => honest(n))).toEqual({ error: null, writes: 0 });
});

test('each lie of a written part fails it, naming the part', async () => {
  const lies: [string, (w: WrittenPart, n: number) => WrittenPart | null, RegExp][] = [
    ['missing', () => null, /Part 3 of 6 is missing/],
    ['another part\'s digest (reordered)', (w) => ({ ...w, sha256: sha(plain[1]!) }), /Part 3 does not match the manifest/],
    ['cut short', (w) => ({ ...w, length: w.length - 1 }), /Part 3 does not match the manifest/],
    ['written at another place', (w) => ({ ...w, at: 0 }), /Part 3 was not written where the manifest puts it/],
    ['written short', (w) => ({ ...w, wrote: w.wrote - 1 }), /Part 3 was not written where/],
    ['written past its own bytes', (w) => ({ ...w, wrote: w.wrote + 1 }), /Part 3 was not written where/],
  ];
  for (const [what, lie, message] of lies) {
    const { error } = await open((n) => (n === 3 ? lie(honest(n), n) : honest(n)));
    expect(error, what).toBeInstanceOf(PartMismatchError);
    expect((error as Error).message, what).toMatch(message);
  }
});

test('the last part: bytes after the file\'s end must be zeros, and its written length is the file\'s rest', async () => {
  const last = (w: Partial<WrittenPart>) => open((n) => (n === 6 ? { ...honest(6), ...w } : honest(n)));
  expect(honest(6)).toMatchObject({ wrote: 321, zeroTail: true, length: 512 });
  expect(((await last({ zeroTail: false })).error as Error).message).toMatch(/Part 6 holds data after the end of the file/);
  expect(((await last({ wrote: 512 })).error as Error).message).toMatch(/Part 6 was not written where/);
});

test('a part holding none of the file writes nothing, wherever it says', async () => {
  // A smaller file under the same part digests: parts 5 and 6 then hold none of it and must write nothing.
  const small = { ...manifest, size: 4 * PART - 5 };
  const truthful = (n: number) => honest(n, plain[n - 1], small.size);
  // Part 4's last 5 bytes are random file bytes, not zeros: refused as data after the end.
  expect(((await open(truthful, small)).error as Error).message).toMatch(/Part 4 holds data after the end/);
  const past = (n: number): WrittenPart => (n === 5 ? { ...honest(5, plain[4], small.size), at: 0, zeroTail: true } : { ...honest(n, plain[n - 1], small.size), zeroTail: true });
  expect(honest(5, plain[4], small.size).wrote).toBe(0);
  expect((await open(past, small)).error).toBeNull(); // at is not looked at when nothing of the file was written
  expect(((await open((n) => ({ ...past(n), wrote: n === 5 ? 1 : past(n).wrote }), small)).error as Error).message).toMatch(/Part 5 was not written where/);
});

test('the whole-file digest cannot be checked over parts written elsewhere: refused, not skipped', async () => {
  let error: unknown;
  await openSubmission({ manifest, keys: [key], readPart: async () => null, openPart: async (n) => honest(n), write: async () => undefined }).catch((e) => (error = e));
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as Error).message).toMatch(/whole-file digest/);
});
