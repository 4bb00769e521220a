import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const LOCK_FILE = 'sealdrop.lock';
// Locks this process holds: its own pid in a lock file is then a live server, not a reused pid.
const held = new Set<string>();

/** Another server holds (or is taking) the data directory; the message says what to do. */
export class DataDirLockedError extends Error {
  override name = 'DataDirLockedError';
}

/**
 * Claims the data directory for one server, so a second one cannot sweep the first one's
 * uploads as orphans. Returns the release function.
 */
export function lockDataDir(dir: string): () => void {
  const file = path.resolve(dir, LOCK_FILE);
  if (!tryCreate(file)) {
    const pid = readPid(file);
    if (pid !== null && isHolding(pid, file)) {
      throw new DataDirLockedError(`Another Sealdrop server is using ${dir} (pid ${pid}); stop it first. If none is running, remove ${file}.`);
    }
    rmSync(file, { force: true });
    // A second attempt that fails means another server took the stale lock at the same moment.
    if (!tryCreate(file)) throw new DataDirLockedError(`Another Sealdrop server is starting on ${dir}; stop it first.`);
  }
  held.add(file);
  return () => {
    if (!held.delete(file)) return;
    rmSync(file, { force: true });
  };
}

function tryCreate(file: string): boolean {
  try {
    writeFileSync(file, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function readPid(file: string): number | null {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const pid = Number(text.trim());
  return Number.isSafeInteger(pid) && pid > 0 ? pid : null;
}

function isHolding(pid: number, file: string): boolean {
  // After a container restart the server often gets the same pid as before; only a lock taken here is live.
  if (pid === process.pid) return held.has(file);
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}
