import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { openManifest, openSubmission, readPrivateKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import { openStore } from '../store/index.ts';
import { KEY_ENTRY, RestoreWriter } from '../store/backup.ts';
import { CliError, options } from './args.ts';
import { BACKUP_PART_SIZE, BackupFormatError, BackupReader, EntryParser, fileDigest } from './backup-format.ts';

// `sealdrop restore`: a backup (backup.ts) back into a data directory, verified before it is used.

/** Only a directory that does not exist, or exists and is empty, is restored into. */
async function assertEmptyTarget(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`${dataDir} is not a directory Sealdrop can restore into (${(error as NodeJS.ErrnoException).code}).`);
  }
  if (entries.length > 0) throw new CliError(`${dataDir} is not empty: restore into a new directory.`);
}

/** Decrypts and checks a backup into a new data directory; on any failure (or Ctrl-C) nothing is left behind. */
export async function restoreBackup(file: string, dataDir: string, key: Awaited<ReturnType<typeof readPrivateKey>>): Promise<{ objects: number; journalists: string[] }> {
  await assertEmptyTarget(dataDir);
  const partial = `${dataDir}.${randomBytes(6).toString('hex')}.restoring`;
  const reader = await BackupReader.open(file, BACKUP_PART_SIZE + 1024 * 1024);
  const interrupted = () => {
    rmSync(partial, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    await mkdir(partial, { mode: 0o700 });
    const manifest = await openManifest({ data: reader.manifest, keys: [key] });
    if (manifest.type !== 'application/x-sealdrop-backup') throw new BackupFormatError('This is a submission, not a Sealdrop backup.');
    const writer = new RestoreWriter(partial);
    const parser = new EntryParser(writer);
    await openSubmission({ manifest, keys: [key], readPart: () => reader.nextPart(), write: (b) => parser.push(b), hasher: nativeHasher });
    parser.finish();
    await writer.end();
    if ((await reader.nextPart()) !== null) throw new BackupFormatError('This backup is damaged: it holds more parts than its manifest.');
    const restored = await checkRestored(partial);
    // rmdir refuses a directory that is not empty: anything written there meanwhile is kept.
    await rmdir(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new CliError(`${dataDir} is no longer empty: nothing was restored.`);
    });
    await rename(partial, dataDir);
    return restored;
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
    await reader.close();
  }
}

/** The rebuilt directory opens, passes SQLite's integrity check, and has every object its rows name. */
async function checkRestored(dir: string): Promise<{ objects: number; journalists: string[] }> {
  const store = openStore(dir, { keyFile: path.join(dir, KEY_ENTRY) });
  try {
    if (store.integrity() !== 'ok') throw new BackupFormatError('The restored database fails SQLite\'s integrity check.');
    const named = store.submissions.namedObjects().sort();
    const present = (await readdir(path.join(dir, 'objects')).catch(() => [] as string[])).sort();
    if (named.join() !== present.join()) throw new BackupFormatError('The restored data directory is incomplete: an object is missing or extra.');
    return { objects: present.length, journalists: store.journalists.list().map((j) => `${j.username}${j.isAdmin ? ' (admin)' : ''} ${j.fingerprint}`) };
  } finally {
    store.close();
  }
}

export async function restoreCommand(args: string[]): Promise<void> {
  const o = options(args, { in: { type: 'string' }, key: { type: 'string' }, 'passphrase-file': { type: 'string' }, data: { type: 'string' }, sha256: { type: 'string' } }, ['in', 'key', 'data']);
  const file = path.resolve(o.in!);
  if (o.sha256 !== undefined) {
    if (!/^[0-9a-f]{64}$/i.test(o.sha256)) throw new CliError('--sha256 takes the 64 hexadecimal digits that sealdrop backup printed.');
    if ((await fileDigest(file)) !== o.sha256.toLowerCase()) throw new CliError('This file is not the backup whose digest you gave: it was replaced or altered. Nothing was restored.');
  }
  const passphrase = o['passphrase-file'] ? (await readFile(o['passphrase-file'], 'utf8')).replace(/\r?\n$/, '') : undefined;
  const key = await readPrivateKey(await readFile(o.key!, 'utf8'), passphrase);
  const dataDir = path.resolve(o.data!);
  const { objects, journalists } = await restoreBackup(file, dataDir, key);
  console.log(`Restored the database and ${objects} object(s) into ${dataDir}; every part and the whole were verified against the backup's own manifest.`);
  console.log(`${o.sha256 ? 'Its SHA-256 matched the digest you gave.' : 'Anyone with the public keys can make a backup: without --sha256, check that these journalists and keys are yours before you start a server on it:'}`);
  for (const j of journalists) console.log(`  ${j}`);
  console.log(`Start the server with SEALDROP_DATA=${dataDir} (and SEALDROP_KEY_FILE=${path.join(dataDir, KEY_ENTRY)}, or move that file where your key file belongs).`);
}
