import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { openManifest, openSubmission, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { CliError, options } from './args.ts';
import { nativeHasher } from '../native-hash.ts';
import { MANIFEST_FILE, partFileName, partNumberOf } from '../../common/export-layout.ts';
import { safeFileName, uniqueName } from '../../common/filenames.ts';

/** A submission that failed verification; everything this run wrote has been removed. */
export class SubmissionFailedError extends Error {
  override name = 'SubmissionFailedError';
}

type Found = { dir: string; relative: string };

/** Submission folders (holding manifest.pgp) at IN, IN/<id> or IN/<designation>/<id>. */
async function findSubmissions(root: string, relative = '', depth = 0): Promise<Found[]> {
  if (existsSync(path.join(root, MANIFEST_FILE))) return [{ dir: root, relative: relative || path.basename(root) }];
  if (depth >= 2) return [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => {
    throw new CliError(`Cannot read ${root}.`);
  });
  const found: Found[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    found.push(...(await findSubmissions(path.join(root, e.name), path.join(relative, e.name), depth + 1)));
  }
  return found;
}

async function decryptOne(found: Found, keys: PrivateKey[], outRoot: string): Promise<string> {
  const manifest = await openManifest({ data: await readFile(path.join(found.dir, MANIFEST_FILE)), keys });
  if (path.basename(found.dir) !== manifest.submission) throw new Error('the manifest belongs to another submission');
  const extra = (await readdir(found.dir)).filter((f) => (partNumberOf(f) ?? 0) > manifest.partCount);
  if (extra.length) throw new Error(`${extra[0]} is not part of this submission (it declares ${manifest.partCount} part(s))`);
  const outDir = path.join(outRoot, found.relative);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const target = path.join(outDir, uniqueName(safeFileName(manifest.name), (n) => existsSync(path.join(outDir, n))));
  const temp = path.join(outDir, `.sealdrop-partial-${randomBytes(6).toString('hex')}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await openSubmission({
      manifest,
      keys,
      hasher: nativeHasher,
      readPart: (n) => readFile(path.join(found.dir, partFileName(n))).catch(() => null),
      write: async (plaintext) => void (await handle.write(plaintext)),
    });
    await handle.close();
    await rename(temp, target);
    return target;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
}

/** Removes the folders this run created, bottom-up, where they are now empty. */
async function removeEmptyDirs(root: string, dirs: string[]): Promise<void> {
  for (const dir of dirs) {
    for (let d = dir; d.startsWith(root + path.sep); d = path.dirname(d)) await rmdir(d).catch(() => undefined);
  }
}

export async function decryptCommand(args: string[]): Promise<void> {
  const o = options(args, { key: { type: 'string' }, 'passphrase-file': { type: 'string' }, in: { type: 'string' }, out: { type: 'string' } }, ['key', 'in', 'out']);
  const keyText = await readFile(o.key!, 'utf8').catch(() => {
    throw new CliError(`Cannot read ${o.key}.`);
  });
  const passphrase = o['passphrase-file'] ? (await readFile(o['passphrase-file'], 'utf8')).replace(/\r?\n$/, '') : undefined;
  const keys = [await readPrivateKey(keyText, passphrase)];
  const submissions = await findSubmissions(path.resolve(o.in!));
  if (submissions.length === 0) throw new CliError(`No exported submissions under ${o.in} (looked for manifest.pgp).`);
  const outRoot = path.resolve(o.out!);
  const written: string[] = [];
  for (const found of submissions) {
    try {
      written.push(await decryptOne(found, keys, outRoot));
    } catch (error) {
      // Fail closed: a bad part anywhere means no plaintext from this run is left behind.
      await Promise.all(written.map((f) => rm(f, { force: true })));
      await removeEmptyDirs(outRoot, [...written.map(path.dirname), path.join(outRoot, found.relative)]);
      throw new SubmissionFailedError(`Submission ${found.relative} failed verification: ${(error as Error).message} Nothing was written.`);
    }
  }
  for (const f of written) console.log(`Decrypted and verified: ${f}`);
}
