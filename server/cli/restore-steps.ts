import { existsSync } from 'node:fs';
import { open, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { openManifest, openSubmission, type readPrivateKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import { forgetCredentials, KEY_ENTRY, MAX_KEY_FILE, RestoreWriter, sealedSecrets, type BackupKind } from '../store/backup.ts';
import { addressOf, SERVICES, serviceDir } from '../tor/services.ts';
import { CliError } from './args.ts';
import { BACKUP_PART_SIZE, BACKUP_TYPE, BackupFormatError, BackupReader, EntryParser, KEY_FILE_TYPE, MAGIC } from './backup-format.ts';

// The steps of `sealdrop restore` (restore.ts) that read the sealed files and settle what they hold.

export type PrivateKey = Awaited<ReturnType<typeof readPrivateKey>>;
/** How the journalists' two-factor secrets come back: with the key file's export, or cleared. */
export type TwoFactor = { keyFileIn?: string; reset?: boolean; /** Opens the export, if not the backup's key (split custody). */ keyFileKey?: PrivateKey };

/** Decrypts one sealed file into `dir`, every part and the whole checked against its manifest. */
export async function decryptInto(file: string, key: PrivateKey, dir: string, kind: BackupKind): Promise<void> {
  const reader = await BackupReader.open(file, BACKUP_PART_SIZE + 1024 * 1024);
  try {
    const manifest = await openManifest({ data: reader.manifest, keys: [key] });
    if (manifest.type !== (kind === 'backup' ? BACKUP_TYPE : KEY_FILE_TYPE)) throw new BackupFormatError(kind === 'backup' ? 'This is not a Sealdrop backup (a submission, or a key-file export).' : 'This is not a key-file export (sealdrop backup --key-file).');
    const writer = new RestoreWriter(dir, kind);
    const parser = new EntryParser(writer);
    await openSubmission({ manifest, keys: [key], readPart: () => reader.nextPart(), write: (b) => parser.push(b), hasher: nativeHasher });
    parser.finish();
    await writer.end();
    if ((await reader.nextPart()) !== null) throw new BackupFormatError('This backup is damaged: it holds more parts than its manifest.');
  } finally {
    await reader.close();
  }
}

/** The key file from its export (decrypted with `key`), or a plain copy of the key file itself. */
async function restoreKeyFile(file: string, key: PrivateKey, dir: string): Promise<void> {
  const head = Buffer.alloc(MAGIC.length);
  const handle = await open(file, 'r');
  await handle.read(head, 0, head.length, 0).finally(() => handle.close());
  if (head.equals(MAGIC)) {
    return decryptInto(file, key, dir, 'key-file').catch((error: Error) => {
      throw error instanceof BackupFormatError ? error : new CliError(`The key-file export ${file} could not be opened with --key-file-key, or --key without it (${error.message}). Nothing was restored.`);
    });
  }
  if ((await stat(file)).size > MAX_KEY_FILE) throw new CliError(`${file} is neither a key-file export nor a key file.`);
  const out = await open(path.join(dir, KEY_ENTRY), 'wx', 0o600);
  try {
    await out.chmod(0o600);
    await out.writeFile(await readFile(file));
    await out.sync();
  } finally {
    await out.close();
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

/** Each onion service's address, from its public key; its hostname file must name the same. */
export async function onionAddresses(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const service of SERVICES) {
    const address = addressOf(dir, service);
    if (address === null) continue;
    const hostname = await readFile(path.join(serviceDir(dir, service), 'hostname'), 'utf8').catch(() => `${address}\n`);
    if (hostname !== `${address}\n`) throw new BackupFormatError(`The restored ${service} onion service's hostname does not match its key: the backup was altered.`);
    found.push(`${service} http://${address}/`);
  }
  return found;
}

