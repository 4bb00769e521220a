import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { MANIFEST_FILE, partFileName, partNumberOf } from '../common/export-layout.ts';
import { splitHeader } from '../common/envelope/index.ts';
import { CliError } from './args.ts';

// Reads what `sealdrop export` wrote (still encrypted), on the journalist's offline machine.

/** One exported submission: its folder, and where it sits under the export (kept under the output). */
export type Exported = { dir: string; relative: string };

/** Submission folders (holding manifest.pgp) at IN, IN/<id> or IN/<designation>/<id>. */
export async function findSubmissions(root: string, relative = '', depth = 0): Promise<Exported[]> {
  if (existsSync(path.join(root, MANIFEST_FILE))) return [{ dir: root, relative: relative || path.basename(root) }];
  if (depth >= 2) return [];
  const entries = await readdir(root, { withFileTypes: true }).catch(() => {
    throw new CliError(`Cannot read ${root}.`);
  });
  const found: Exported[] = [];
  for (const e of entries.filter((e) => e.isDirectory()).sort((a, b) => a.name.localeCompare(b.name))) {
    found.push(...(await findSubmissions(path.join(root, e.name), path.join(relative, e.name), depth + 1)));
  }
  return found;
}

export const readManifest = (found: Exported): Promise<Buffer> => readFile(path.join(found.dir, MANIFEST_FILE));

/** Refuses a folder holding a part beyond the count its manifest declares. */
export async function assertNoExtraParts(found: Exported, partCount: number): Promise<void> {
  const extra = (await readdir(found.dir)).filter((f) => (partNumberOf(f) ?? 0) > partCount);
  if (extra.length) throw new Error(`${extra[0]} is not part of this submission (it declares ${partCount} part(s))`);
}

/** A part's first read: every PKESK of a usual header (sixty RSA-8192 recipients' fit in it). */
const HEADER_BYTES = 64 * 1024;

/** Whether `prefix` holds the whole header (every PKESK and the SEIPD packet's own header). */
const headerEndsIn = (prefix: Uint8Array): boolean => {
  try {
    splitHeader(prefix);
    return true;
  } catch {
    return false;
  }
};

/**
 * Part n's file and its first bytes (every PKESK the main thread unwraps), or null when it is
 * missing. The worker opening it reads it whole: the main thread reads only its header,
 * synchronously (a trip through libuv's threads waited its turn on a busy machine, and this thread
 * only feeds the workers). A header longer than the first read (many recipients) is read again,
 * twice as long each time, up to the whole part, so a valid part is never cut short.
 */
export function readPartHeader(found: Exported, n: number): { file: string; header: Buffer } | null {
  const file = path.join(found.dir, partFileName(n));
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  try {
    const size = fstatSync(fd).size;
    for (let want = Math.min(HEADER_BYTES, size); ; want = Math.min(want * 2, size)) {
      const header = Buffer.allocUnsafe(want);
      const got = readSync(fd, header, 0, want, 0);
      // A short read or the whole part: what there is (a malformed header is refused by its reader).
      if (got < want || want >= size || headerEndsIn(header)) return { file, header: header.subarray(0, got) };
    }
  } finally {
    closeSync(fd);
  }
}
