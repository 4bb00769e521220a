import { readdir, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from './args.ts';

// Where `sealdrop restore` may build a data directory. Restore builds the drop in a directory
// beside the target, checks it there and renames it into place, all by path: another account that
// can rename entries beside the target could put a directory of its own there after the checks
// (a forged drop restored as if verified), or one it can read before the decrypted files land.

/** Only a directory that does not exist, or exists and is empty, is restored into. */
export async function assertEmptyTarget(dataDir: string): Promise<void> {
  let entries: string[];
  try {
    entries = await readdir(dataDir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CliError(`${dataDir} is not a directory Sealdrop can restore into (${(error as NodeJS.ErrnoException).code}).`);
  }
  if (entries.length > 0) throw new CliError(`${dataDir} is not empty: restore into a new directory.`);
}

/**
 * Every directory above the target belongs to this account or root, and no other account can
 * rename entries in it: writable by its owner alone, or sticky (as /tmp, where others cannot
 * rename or remove what is not theirs).
 */
export async function assertPrivateParents(dataDir: string): Promise<void> {
  const uid = process.getuid?.();
  if (uid === undefined) return; // no POSIX owners to compare
  let dir: string;
  try {
    dir = await realpath(path.dirname(dataDir));
  } catch (error) {
    throw new CliError(`${path.dirname(dataDir)} cannot hold the restored directory (${(error as NodeJS.ErrnoException).code}). Nothing was restored.`);
  }
  for (;;) {
    const { uid: owner, mode } = await stat(dir);
    const othersRename = (mode & 0o022) !== 0 && (mode & 0o1000) === 0;
    if ((owner !== uid && owner !== 0) || othersRename) {
      throw new CliError(`${dir} can be changed by another account (${owner !== uid && owner !== 0 ? `it belongs to uid ${owner}` : `mode ${(mode & 0o7777).toString(8)}`}), which could swap the restored directory after its checks: restore under a directory only you (or root) can write. Nothing was restored.`);
    }
    const up = path.dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}
