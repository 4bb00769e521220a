import { chmodSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';

// The data directory is the newsroom's alone: every directory Sealdrop makes is 0700 and every
// file 0600, whatever the umask (main.ts and the CLI also set the umask to 077, because SQLite
// and tor create files of their own). A directory made beforehand (by an installer, a
// `mkdir data`, an older Sealdrop) keeps whatever mode it was given, so each open tightens it.

/** Sealdrop's own mode for what it creates; the umask can only take bits away, never add them. */
export const PRIVATE_DIR = 0o700;
export const PRIVATE_FILE = 0o600;

// What Sealdrop keeps at the top of the data directory (objects are made 0600 one by one, and the
// objects and tor directories are tightened here so their listing is private too).
const FILES = ['sealdrop.sqlite', 'sealdrop.sqlite-journal', 'secret.key', 'sealdrop.lock'];
const DIRS = ['objects', 'tor'];

/**
 * Makes the data directory (0700) if it is missing, and takes the group and other bits off it and
 * off the files and directories Sealdrop keeps there. Returns how many it had to tighten (0
 * normally), for the caller to report once.
 */
export function makeDataDirPrivate(dataDir: string): number {
  mkdirSync(dataDir, { recursive: true, mode: PRIVATE_DIR });
  // The directory itself is followed if it is a link (the operator chose where it points); what
  // is inside is not, so a planted link cannot make Sealdrop chmod a file elsewhere.
  let tightened = tighten(dataDir, true) ? 1 : 0;
  for (const name of [...DIRS, ...FILES]) if (tighten(path.join(dataDir, name), false)) tightened++;
  return tightened;
}

/**
 * The key sealing journalists' two-factor secrets (SEALDROP_KEY_FILE, often on another volume; a
 * link is followed, as the operator chose it): one made by hand under umask 022 is 0644. Takes
 * the group and other bits off it if it is ours; one open to others that another user owns is
 * refused, since whoever owns it can read it. Returns 1 if it had to tighten it (reported once, as
 * for the data directory), else 0.
 */
export function makeKeyFilePrivate(keyFile: string): number {
  let stat;
  try {
    stat = statSync(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0; // made 0600 when it is created
    throw error;
  }
  if ((stat.mode & 0o077) === 0) return 0;
  if (stat.uid !== process.getuid?.()) {
    throw new DataDirPermissionError(`The key file ${keyFile} is open to other users (mode ${(stat.mode & 0o777).toString(8)}) and belongs to another user, so Sealdrop will not use it: make it owned by the user Sealdrop runs as, mode 0600.`);
  }
  return tighten(keyFile, true) ? 1 : 0;
}

/** Keeps the owner's bits and drops every group and other bit, if there is one to drop. */
function tighten(file: string, follow: boolean): boolean {
  let stat;
  try {
    stat = follow ? statSync(file) : lstatSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
  if (stat.isSymbolicLink() || (stat.mode & 0o077) === 0) return false;
  try {
    chmodSync(file, stat.mode & 0o700);
  } catch (error) {
    // Another user owns it: Sealdrop will not run in a directory it cannot keep private.
    if ((error as NodeJS.ErrnoException).code === 'EPERM') throw new DataDirPermissionError(`${file} is open to other users (mode ${(stat.mode & 0o777).toString(8)}) and belongs to another user, so Sealdrop cannot make it private: make it owned by the user Sealdrop runs as, mode ${stat.isDirectory() ? '0700' : '0600'}.`);
    throw error;
  }
  return true;
}

/** The data directory, or a file in it, is open to others and not ours to tighten. */
export class DataDirPermissionError extends Error {
  override name = 'DataDirPermissionError';
}
