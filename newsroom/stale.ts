import { existsSync, readdirSync, readlinkSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { processStart } from './leftovers.ts';

// A run stopped by SIGKILL, a crash or a power cut cannot clean up after itself (leftovers.ts):
// its .sealdrop-partial-* (parts written before they were checked) and .sealdrop-work-* (a safe
// copy's work folder) stay in the output. The next run removes those whose owner is gone, never
// one a live run is still writing: the name carries the owner's process id and start time, and a
// process with that id that started at another time is another process (the id was reused).

const OWNED = /^\.sealdrop-(?:partial|work)-(\d+)-(\d*)-[0-9a-f]{12}$/;
/** Names from before owners were named (a random suffix only): removed when no process has them open. */
const UNOWNED = /^\.sealdrop-(?:partial-[0-9a-f]{12}|work-[A-Za-z0-9]{6})$/;

/** Whether process `pid`, started at `start` ('' if unknown), has ended. */
export function ownerGone(pid: number, start: string): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'; // EPERM: alive, another user's
  }
  const now = processStart(pid);
  return start !== '' && now !== '' && now !== start;
}

/** Every path some process has open, where /proc shows it (null without /proc: nothing is known). */
function openPaths(): string[] | null {
  if (!existsSync('/proc/self/fd')) return null;
  const open: string[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      for (const fd of readdirSync(`/proc/${pid}/fd`)) open.push(readlinkSync(`/proc/${pid}/fd/${fd}`));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return open;
}

/**
 * Leftover temporary files and folders under `root` (links not followed), as deep as a run puts
 * them: PLAIN/<designation>/<submission-id>/safe/ at most, so an --out of a home folder is not
 * walked whole.
 */
async function findTemporary(root: string, depth = 0): Promise<string[]> {
  const entries = await readdir(root, { withFileTypes: true }).catch(() => []);
  const found: string[] = [];
  for (const e of entries) {
    const full = path.join(root, e.name);
    if (OWNED.test(e.name) || UNOWNED.test(e.name)) found.push(full);
    else if (e.isDirectory() && depth < 3) found.push(...(await findTemporary(full, depth + 1)));
  }
  return found;
}

/** Whether a live process may still write `file`: its named owner runs, or (unowned) something has it open. */
function inUse(file: string, open: () => string[] | null): boolean {
  const owner = OWNED.exec(path.basename(file));
  if (owner) return !ownerGone(Number(owner[1]), owner[2]!);
  const paths = open();
  return paths === null || paths.some((p) => p === file || p.startsWith(file + path.sep));
}

/** Removes what stopped runs left under `root`; returns what it removed. */
export async function removeStale(root: string): Promise<string[]> {
  const removed: string[] = [];
  let open: string[] | null | undefined;
  for (const file of await findTemporary(root)) {
    if (inUse(file, () => (open === undefined ? (open = openPaths()) : open))) continue;
    await rm(file, { recursive: true, force: true });
    removed.push(file);
  }
  return removed;
}
