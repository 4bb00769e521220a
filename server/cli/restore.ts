import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { chmod, mkdir, readdir, readFile, rename, rm, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { readPrivateKey } from '../../common/envelope/index.ts';
import { assertUntouchedSchema, openStore, TotpKeyError } from '../store/index.ts';
import { KEY_ENTRY } from '../store/backup.ts';
import { CliError, options } from './args.ts';
import { BackupFormatError } from './backup-format.ts';
import { assertEmptyTarget, assertPrivateParents } from './restore-target.ts';
import { decryptInto, onionAddresses, settleTwoFactor, type PrivateKey, type TwoFactor } from './restore-steps.ts';

// `sealdrop restore`: a backup (backup.ts) back into a data directory, verified before it is used.

export type Restored = { objects: number; journalists: string[]; addresses: string[]; twoFactor: string };

/**
 * Decrypts and checks a backup into a new data directory; on any failure (or Ctrl-C) nothing is
 * left behind. `sha256` is required: the file's digest is computed over the very bytes decrypted,
 * and checked before the database is read or anything is renamed into place.
 */
export async function restoreBackup(backup: { file: string; sha256: string }, dataDir: string, key: PrivateKey, twoFactor: TwoFactor = {}): Promise<Restored> {
  await assertPrivateParents(dataDir);
  await assertEmptyTarget(dataDir);
  const partial = `${dataDir}.${randomBytes(6).toString('hex')}.restoring`;
  const interrupted = () => {
    rmSync(partial, { recursive: true, force: true });
    process.exit(130);
  };
  process.once('SIGINT', interrupted).once('SIGTERM', interrupted);
  try {
    await mkdir(partial, { mode: 0o700 });
    await chmod(partial, 0o700); // whatever the umask: the directory holds the drop
    await decryptInto(backup.file, key, partial, 'backup', backup.sha256.toLowerCase());
    // The two-factor step reads (and with --reset-2fa writes) the database before openStore would
    // check it: a forged schema (a trigger, say) is refused first, read-only.
    assertUntouchedSchema(path.join(partial, 'sealdrop.sqlite'));
    const said = await settleTwoFactor(partial, key, twoFactor);
    const restored = await checkRestored(partial);
    // rmdir refuses a directory that is not empty: anything written there meanwhile is kept.
    await rmdir(dataDir).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw new CliError(`${dataDir} is no longer empty: nothing was restored.`);
    });
    await rename(partial, dataDir);
    return { ...restored, twoFactor: said };
  } catch (error) {
    await rm(partial, { recursive: true, force: true });
    throw error;
  } finally {
    process.off('SIGINT', interrupted).off('SIGTERM', interrupted);
  }
}

/** The rebuilt directory opens through the store's own checks, passes SQLite's, and has every object its rows name. */
async function checkRestored(dir: string): Promise<Omit<Restored, 'twoFactor'>> {
  let store;
  try {
    store = openStore(dir, { keyFile: path.join(dir, KEY_ENTRY) });
  } catch (error) {
    if (error instanceof TotpKeyError) throw new CliError('The key file you gave does not open this backup\'s TOTP secrets: it is another drop\'s, or an older one. Nothing was restored.');
    throw error;
  }
  try {
    if (store.integrity() !== 'ok') throw new BackupFormatError('The restored database fails SQLite\'s integrity check.');
    const named = store.submissions.namedObjects().sort();
    const present = (await readdir(path.join(dir, 'objects')).catch(() => [] as string[])).sort();
    if (named.join() !== present.join()) throw new BackupFormatError('The restored data directory is incomplete: an object is missing or extra.');
    store.audit.append({ actor: 'cli', action: 'restore' }); // the restored chain records its own restore, once its checks pass
    const journalists = store.journalists.list().map((j) => `${j.username}${j.isAdmin ? ' (admin)' : ''} ${j.fingerprint}`);
    return { objects: present.length, journalists, addresses: await onionAddresses(dir) };
  } finally {
    store.close();
  }
}

async function privateKey(file: string, passphraseFile: string | undefined): Promise<PrivateKey> {
  const passphrase = passphraseFile ? (await readFile(passphraseFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
  return readPrivateKey(await readFile(file, 'utf8'), passphrase);
}

const SHA256_REQUIRED =
  '--sha256 is required: give the digest sealdrop backup printed when it made this file. Encryption needs only public keys, ' +
  'so without it anyone could hand you a backup with journalists and keys of their choosing. Nothing was restored.';

export async function restoreCommand(args: string[]): Promise<void> {
  const o = options(args, {
    in: { type: 'string' }, key: { type: 'string' }, 'passphrase-file': { type: 'string' }, data: { type: 'string' }, sha256: { type: 'string' },
    'key-file-in': { type: 'string' }, 'key-file-key': { type: 'string' }, 'key-file-passphrase-file': { type: 'string' }, 'reset-2fa': { type: 'boolean' },
  }, ['in', 'key', 'data']);
  if (o.sha256 === undefined) throw new CliError(SHA256_REQUIRED);
  if (!/^[0-9a-f]{64}$/i.test(o.sha256)) throw new CliError('--sha256 takes the 64 hexadecimal digits that sealdrop backup printed. Nothing was restored.');
  if (o['key-file-in'] && o['reset-2fa']) throw new CliError('Give --key-file-in or --reset-2fa, not both.');
  if (o['key-file-key'] && !o['key-file-in']) throw new CliError('--key-file-key goes with --key-file-in.');
  const file = path.resolve(o.in!);
  const key = await privateKey(o.key!, o['passphrase-file']);
  const keyFileKey = o['key-file-key'] ? await privateKey(o['key-file-key'], o['key-file-passphrase-file']) : undefined;
  const dataDir = path.resolve(o.data!);
  const r = await restoreBackup({ file, sha256: o.sha256 }, dataDir, key, { keyFileIn: o['key-file-in'] && path.resolve(o['key-file-in']), keyFileKey, reset: Boolean(o['reset-2fa']) });
  console.log(`Restored the database, ${r.objects} object(s)${r.addresses.length ? ' and the onion service keys' : ''} into ${dataDir}.`);
  console.log('The SHA-256 of the very bytes decrypted (the file read once) matched the digest you gave; every part and the whole were verified against the backup\'s own manifest.');
  for (const a of r.addresses) console.log(`Onion address, as before the backup: ${a}`);
  console.log(r.twoFactor);
  console.log('Journalists and their key fingerprints (derived from each stored key): check that these journalists and keys are yours:');
  for (const j of r.journalists) console.log(`  ${j}`);
  console.log(`Start the server with SEALDROP_DATA=${dataDir} (and SEALDROP_KEY_FILE=${path.join(dataDir, KEY_ENTRY)}, or move that file where your key file belongs).`);
}
