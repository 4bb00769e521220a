import { closeSync, existsSync, fstatSync, openSync, renameSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { openManifest, openSubmission, splitHeader, type PrivateKey } from '../common/envelope/index.ts';
import { sessionKeyOpener } from '../common/envelope/session-key.ts';
import { safeFileName, uniqueName } from '../common/filenames.ts';
import { CliError, parseCommand } from './args.ts';
import { nativeEcdh } from './ecdh-native.ts';
import { assertOpenable, knownKeys, NoKeyError, readKeys } from './decrypt-keys.ts';
import { assertNoExtraParts, findSubmissions, readManifest, readPartHeader, type Exported } from './export-reader.ts';
import { interruptible, Leftovers, ownedName } from './leftovers.ts';
import { PartPool, ReadAhead } from './part-pool.ts';
import { removeStale } from './stale.ts';

// `sealdrop decrypt`, on the journalist's offline machine: exported submissions in, verified
// plaintext out, and with --safe a safe copy and report of each file in a safe/ folder beside it.

/** A submission that failed verification; everything this run wrote has been removed. */
export class SubmissionFailedError extends Error {
  override name = 'SubmissionFailedError';
}

/** Parts started ahead of the one being written: every worker busy, and as many again ready. */
const aheadOf = (pool: PartPool) => pool.size * 2;

async function decryptOne(found: Exported, keys: PrivateKey[], outRoot: string, pool: PartPool, left: Leftovers): Promise<string> {
  const data = await readManifest(found);
  const known = await knownKeys(found.dir);
  assertOpenable(data, keys, path.join(found.relative, 'manifest.pgp'), known);
  const manifest = await openManifest({ data, keys });
  if (path.basename(found.dir) !== manifest.submission) throw new Error('the manifest belongs to another submission');
  await assertNoExtraParts(found, manifest.partCount);
  const outDir = path.join(outRoot, found.relative);
  left.addDir(outDir, outRoot);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const target = path.join(outDir, uniqueName(safeFileName(manifest.name), (n) => existsSync(path.join(outDir, n))));
  // Named with this process's id and start (a later run removes it if this one is killed), listed
  // before it exists, created synchronously: a signal finds it listed or not yet there.
  const temp = path.join(outDir, ownedName('partial'));
  left.add(temp);
  const fd = openSync(temp, 'wx', 0o600);
  // Here, from each part's first bytes: naming a key not given, and the session key (openpgp.js,
  // about 1 ms); a worker reads the whole part, and writes its file's bytes at their place in the
  // output (every part but the last holds partSize of them); openSubmission checks what it did.
  const unwrap = sessionKeyOpener(keys, nativeEcdh);
  const ahead = new ReadAhead(manifest.partCount, async (n) => {
    const part = readPartHeader(found, n);
    if (!part) return null;
    assertOpenable(part.header, keys, path.join(found.relative, `part ${n}`), known);
    const position = (n - 1) * manifest.partSize;
    const own = Math.max(0, Math.min(manifest.partSize, manifest.size - position));
    return pool.openTo(part.file, await unwrap(part.header.subarray(0, splitHeader(part.header).sealedAt)), { fd, position, own });
  }, aheadOf(pool));
  try {
    await openSubmission({
      manifest,
      keys,
      // The part digests, checked in order, bind every byte (open.ts says why that is enough).
      checkFileDigest: false,
      readPart: async () => null,
      openPart: (n) => ahead.take(n),
      write: async () => {
        throw new Error('every part is written by its worker');
      },
    });
    // Every part was checked to have written its own bytes in place: the file is exactly the manifest's size.
    if (fstatSync(fd).size !== manifest.size) throw new Error('the decrypted file is not the size its manifest gives');
    closeSync(fd);
    left.add(target);
    renameSync(temp, target);
    left.keep(temp);
    return target;
  } catch (error) {
    // No worker may still write to the file (or, once closed, to whatever reuses its descriptor);
    // the caller removes it. A signal removes it by name at once, and closes nothing before exit.
    await ahead.settle();
    try {
      closeSync(fd);
    } catch {
      // closed already, before the size check failed or the rename
    }
    throw error;
  }
}

/** Safe copies of what was decrypted, each in a safe/ folder next to it (loaded only with --safe). */
async function safeCopies(written: string[], o: { ocr: boolean; clean: boolean; json: boolean }, left: Leftovers): Promise<void> {
  const { safeCopyAll } = await import('./safe-copy.ts');
  let refused = 0;
  for (const file of written) refused += await safeCopyAll([file], path.join(path.dirname(file), 'safe'), o, console.log, left);
  if (refused) {
    console.error(`${refused} of ${written.length} decrypted file(s) have no safe copy (see above); the decrypted files are all there.`);
    process.exitCode = 1;
  }
}

export async function decryptCommand(args: string[]): Promise<void> {
  const { values: o } = parseCommand(args, {
    // --key again for each further key (an old and a new one after a rotation).
    key: { type: 'string', multiple: true }, 'passphrase-file': { type: 'string', multiple: true }, in: { type: 'string' }, out: { type: 'string' },
    safe: { type: 'boolean' }, ocr: { type: 'boolean' }, clean: { type: 'boolean' }, json: { type: 'boolean' },
  }, ['key', 'in', 'out']);
  if ((o.ocr || o.clean || o.json) && !o.safe) throw new CliError('--ocr, --clean and --json go with --safe.');
  const outRoot = path.resolve(o.out!);
  // What a killed run left (its process is gone): a partial holds parts not yet checked.
  for (const f of await removeStale(outRoot)) console.error(`Removed ${f}, left by a decrypt or safe copy that was stopped.`);
  // The threads start while this one unlocks the keys and reads the manifests.
  const pool = new PartPool();
  const left = new Leftovers();
  let phase = 'Nothing was written.';
  await interruptible(left, () => pool.close(), async () => {
    const written: string[] = [];
    try {
      const keys = await readKeys(o.key!, o['passphrase-file'] ?? []);
      const submissions = await findSubmissions(path.resolve(o.in!));
      if (submissions.length === 0) throw new CliError(`No exported submissions under ${o.in} (looked for manifest.pgp).`);
      await decryptAll(submissions, keys, outRoot, pool, written, left);
    } finally {
      await pool.close();
    }
    left.keepAll();
    phase = 'the files above are decrypted and verified and stay; the safe copy under way was removed.';
    for (const f of written) console.log(`Decrypted and verified: ${f}`);
    if (o.safe) await safeCopies(written, { ocr: !!o.ocr, clean: !!o.clean, json: !!o.json }, left);
  }, () => phase);
}

/** Every submission in turn; the first that fails removes everything this run wrote. */
async function decryptAll(submissions: Exported[], keys: PrivateKey[], outRoot: string, pool: PartPool, written: string[], left: Leftovers): Promise<void> {
  for (const found of submissions) {
    try {
      written.push(await decryptOne(found, keys, outRoot, pool, left));
    } catch (error) {
      // Fail closed: a bad part anywhere means no plaintext from this run is left behind.
      left.removeAll();
      if (error instanceof NoKeyError) throw new NoKeyError(`${error.message} Nothing was written.`);
      throw new SubmissionFailedError(`Submission ${found.relative} failed verification: ${(error as Error).message} Nothing was written.`);
    }
  }
}
