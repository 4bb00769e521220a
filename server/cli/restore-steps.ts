import { existsSync } from 'node:fs';
import { open, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { openManifest, openSubmission, type readPrivateKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import { forgetCredentials, KEY_ENTRY, MAX_KEY_FILE, RestoreWriter, sealedSecrets, type BackupKind } from '../store/backup.ts';
import { OnionKeyError } from '../tor/errors.ts';
import { addressOf, SERVICES } from '../tor/services.ts';
import { CliError } from './args.ts';
import { BACKUP_PART_SIZE, BACKUP_TYPE, BackupFormatError, EntryParser, KEY_FILE_TYPE, MAGIC } from './backup-format.ts';
import { BackupReader, openRegular } from './backup-reader.ts';

// The steps of `sealdrop restore` (restore.ts) that read the sealed files and settle what they hold.

export type PrivateKey = Awaited<ReturnType<typeof readPrivateKey>>;
/** How the journalists' two-factor secrets come back: with the key file's export, or cleared. */
export type TwoFactor = { keyFileIn?: string; reset?: boolean; /** Opens the export, if not the backup's key (split custody). */ keyFileKey?: PrivateKey };

/** The bytes read are not the file whose digest was given (its content differed, or changed while read). */
class NotThatFile extends CliError {}
const NOT_THAT_FILE = 'This file is not the backup whose digest you gave: it was replaced or altered (before or while it was read). Nothing was restored.';

/**
 * Decrypts one sealed file into `dir`, every part and the whole checked against its manifest and,
 * given `sha256`, the file's bytes against it: the digest is of the very bytes decrypted, read
 * once through one descriptor, and is checked before the caller uses or renames anything.
 */
export async function decryptInto(file: string | FileHandle, key: PrivateKey, dir: string, kind: BackupKind, sha256: string | null): Promise<void> {
  const reader = await BackupReader.open(file, BACKUP_PART_SIZE + 1024 * 1024);
  try {
    await decryptParts(reader, key, dir, kind);
    if (sha256 !== null && !reader.matches(sha256)) throw new NotThatFile(NOT_THAT_FILE);
  } catch (error) {
    // A failure on a file that is not the one digested is named as that, not as a damaged backup.
    if (sha256 !== null && !(error instanceof NotThatFile) && !(await reader.drainMatches(sha256))) throw new NotThatFile(NOT_THAT_FILE);
    throw error;
  } finally {
    await reader.close();
  }
}

async function decryptParts(reader: BackupReader, key: PrivateKey, dir: string, kind: BackupKind): Promise<void> {
  const manifest = await openManifest({ data: reader.manifest, keys: [key] });
  if (manifest.type !== (kind === 'backup' ? BACKUP_TYPE : KEY_FILE_TYPE)) throw new BackupFormatError(kind === 'backup' ? 'This is not a Sealdrop backup (a submission, or a key-file export).' : 'This is not a key-file export (sealdrop backup --key-file).');
  const writer = new RestoreWriter(dir, kind);
  const parser = new EntryParser(writer);
  try {
    await openSubmission({ manifest, keys: [key], readPart: () => reader.nextPart(), write: (b) => parser.push(b), hasher: nativeHasher });
    parser.finish();
  } finally {
    await writer.end();
  }
  if ((await reader.nextPart()) !== null) throw new BackupFormatError('This backup is damaged: it holds more parts than its manifest.');
}

/**
 * The key file from its export (decrypted with `key`), or a plain copy of the key file itself.
 * Opened once: one read decides which it is and, for a key file, is the very bytes written.
 */
async function restoreKeyFile(file: string, key: PrivateKey, dir: string): Promise<void> {
  const { handle } = await openRegular(file, 'key file or its export');
  let ours = true;
  try {
    const { buffer, bytesRead } = await handle.read(Buffer.alloc(MAX_KEY_FILE + 1), 0, MAX_KEY_FILE + 1, 0);
    if (buffer.subarray(0, MAGIC.length).equals(MAGIC)) {
      ours = false; // the reader reads on from this descriptor and closes it
      return await decryptInto(handle, key, dir, 'key-file', null).catch((error: Error) => {
        throw error instanceof BackupFormatError ? error : new CliError(`The key-file export ${file} could not be opened with --key-file-key, or --key without it (${error.message}). Nothing was restored.`);
      });
    }
    if (bytesRead > MAX_KEY_FILE) throw new CliError(`${file} is neither a key-file export nor a key file.`);
    const out = await open(path.join(dir, KEY_ENTRY), 'wx', 0o600);
    try {
      await out.chmod(0o600);
      await out.writeFile(buffer.subarray(0, bytesRead));
      await out.sync();
    } finally {
      await out.close();
    }
  } finally {
    if (ours) await handle.close();
  }
}

const NEEDS_KEY =
  'This backup\'s journalists have TOTP secrets sealed under the key file, which a backup does not hold. ' +
  'Give its export with --key-file-in FILE (made by: sealdrop backup --key-file; the key file itself works too), ' +
  'or pass --reset-2fa: every journalist\'s passphrase and TOTP secret are then cleared, and each must enrol again ' +
  '(sealdrop journalist enrol --username NAME gives a new link). Nothing was restored.';

/** Brings the key file back, or clears what it sealed, or refuses: never a drop nobody can log in to unawares. */
export async function settleTwoFactor(dir: string, key: PrivateKey, o: TwoFactor): Promise<string> {
  const legacy = existsSync(path.join(dir, KEY_ENTRY)); // made by an older Sealdrop, which put it in every backup
  const sealed = sealedSecrets(dir);
  if (o.reset) {
    await rm(path.join(dir, KEY_ENTRY), { force: true });
    return `--reset-2fa: ${forgetCredentials(dir)} journalist(s) must enrol again (sealdrop journalist enrol --username NAME); a new key file was made.`;
  }
  if (o.keyFileIn) {
    if (legacy) throw new CliError('This backup was made by an older Sealdrop and holds its key file already: restore without --key-file-in.');
    if (sealed === 0) return 'No journalist had enrolled, so the key file was not needed: a new one was made.';
    await restoreKeyFile(o.keyFileIn, o.keyFileKey ?? key, dir);
    return `The key file you gave opens all ${sealed} journalist(s)' TOTP secrets: two-factor logins work as before.`;
  }
  if (sealed > 0 && !legacy) throw new CliError(NEEDS_KEY);
  return legacy ? `This backup (made by an older Sealdrop) held its key file: restored.` : 'No journalist had enrolled yet: a new key file was made.';
}

/**
 * Each onion service's address, derived from the secret key tor publishes under; addressOf
 * refuses a public key or hostname file that names another (tor/identity.ts).
 */
export async function onionAddresses(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const service of SERVICES) {
    let address: string | null;
    try {
      address = addressOf(dir, service);
    } catch (error) {
      if (error instanceof OnionKeyError) throw new BackupFormatError(`The restored ${service} onion service's keys disagree (${error.code}): the backup was altered or mixed up. ${error.message}`);
      throw error;
    }
    if (address !== null) found.push(`${service} http://${address}/`);
  }
  return found;
}

