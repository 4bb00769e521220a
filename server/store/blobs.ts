import { randomBytes } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, utimes, type FileHandle } from 'node:fs/promises';
import { constants, createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import path from 'node:path';
import { startOfToday } from './day.ts';
import { DiskFullError, isDiskFull } from './errors.ts';
import { isId } from '../../common/ids.ts';

/** Where encrypted objects live; an S3-compatible store can implement the same interface. */
export interface BlobStore {
  /** Stores bytes under a new random name, durably, and returns the name. */
  put(data: Uint8Array): Promise<string>;
  read(name: string): Promise<Uint8Array>;
  /** The first bytes of an object, at most `length` (packet headers, without reading the rest). */
  readPrefix(name: string, length: number): Promise<Uint8Array>;
  stream(name: string): Readable;
  delete(name: string): Promise<void>;
  /** Names currently stored (for sweeping orphans at start-up). */
  list(): Promise<string[]>;
}

// Reading must not record when a journalist exported or a source logged in: with relatime (the
// usual default) the first read after a write stamps the exact time. O_NOATIME needs the process
// to own the file, which the server and its CLI do; Linux only, so 0 elsewhere.
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOATIME ?? 0);
const TEMP_PREFIX = '.tmp-';

export function createFileBlobStore(dir: string): BlobStore {
  const resolve = (name: string): string => {
    // Names come from the database, but containment is checked anyway: a path is never built from input.
    if (!isId(name)) throw new Error('Invalid blob name.');
    return path.join(dir, name);
  };
  const syncDir = dirSyncer(dir);
  // Made once (a call per put queued behind other parts' fsyncs in libuv's pool); a failure is retried.
  let made: Promise<unknown> | null = null;
  const makeDir = () => (made ??= mkdir(dir, { recursive: true, mode: 0o700 }).catch((error: unknown) => {
    made = null;
    throw error;
  }));
  return {
    async put(data) {
      await makeDir();
      const name = randomBytes(16).toString('hex');
      const temp = path.join(dir, `${TEMP_PREFIX}${name}`);
      try {
        // A failed upload must not leave ciphertext behind until the next start-up sweep.
        await removeOnFailure(temp, () => moveIntoPlace(temp, resolve(name), data));
        // The caller never learns the name if this fails, so nothing would ever record or delete the blob.
        await removeOnFailure(resolve(name), syncDir);
      } catch (error) {
        throw isDiskFull(error) ? new DiskFullError() : error;
      }
      return name;
    },
    read: (name) => readFile(resolve(name), { flag: READ_FLAGS }),
    async readPrefix(name, length) {
      const handle = await open(resolve(name), READ_FLAGS);
      try {
        const buffer = Buffer.alloc(length);
        const { bytesRead } = await handle.read(buffer, 0, length, 0);
        return buffer.subarray(0, bytesRead);
      } finally {
        await handle.close();
      }
    },
    // fs.open takes numeric flags; the stream passes them through, though its type says string.
    stream: (name) => createReadStream(resolve(name), { flags: READ_FLAGS as unknown as string }),
    delete: (name) => rm(resolve(name), { force: true }),
    async list() {
      const entries = await readdir(dir).catch(() => [] as string[]);
      await Promise.all(entries.filter((e) => e.startsWith(TEMP_PREFIX)).map((e) => rm(path.join(dir, e), { force: true })));
      return entries.filter((e) => isId(e));
    },
  };
}

async function moveIntoPlace(temp: string, final: string, data: Uint8Array): Promise<void> {
  await writeDurably(temp, data);
  // The filesystem would otherwise record the exact time of the upload.
  const day = startOfToday();
  await utimes(temp, day, day);
  await rename(temp, final);
}

async function removeOnFailure(file: string, action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    await rm(file, { force: true });
    throw error;
  }
}

/**
 * Bytes handed to the kernel per write(). On the 2-core test VM the kernel's copy of a large
 * write into the page cache cost far more CPU than the same bytes in small writes: storing 50 ×
 * 32 MiB of parts, `copy_folio_from_iter_atomic` was 35–38% of the process's CPU with writeFile's
 * 512 KiB writes, 23–25% with 256 KiB, 3.5–4.6% with 128 or 64 KiB (perf, 2026-12-07; the bare
 * upload server, writing 64 KiB socket chunks, 4%). One writev() of many small pieces costs as
 * much as one large write (44%): it is the size of each call. 128 KiB: the fewest calls at the
 * low cost (32 KiB cost more CPU in calls than it saved).
 */
export const WRITE_PIECE = 128 * 1024;

/** All of `data` into `handle`, WRITE_PIECE a call, short writes continued. */
export async function writeInPieces(handle: FileHandle, data: Uint8Array): Promise<void> {
  for (let at = 0; at < data.length; ) {
    const { bytesWritten } = await handle.write(data, at, Math.min(WRITE_PIECE, data.length - at));
    if (bytesWritten <= 0) throw new Error('The object could not be written.');
    at += bytesWritten;
  }
}

async function writeDurably(file: string, data: Uint8Array): Promise<void> {
  const handle = await open(file, 'wx', 0o600);
  try {
    await writeInPieces(handle, data);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * The rename lives in the directory entry: without a directory fsync, a power loss could lose a
 * blob whose row is committed. One fsync covers every rename done before it started, so puts that
 * finish together share one: a caller joins the fsync that starts after the one in flight (which
 * may have begun before its rename), never the one in flight. A failure fails every caller it
 * covered (each removes its blob).
 */
function dirSyncer(dir: string): () => Promise<void> {
  let inFlight: Promise<void> | null = null;
  let next: Promise<void> | null = null;
  const start = (): Promise<void> => {
    const sync: Promise<void> = syncDirNow(dir).finally(() => {
      if (inFlight === sync) inFlight = null;
    });
    inFlight = sync;
    return sync;
  };
  return () => {
    if (!inFlight) return start();
    next ??= inFlight.catch(() => undefined).then(() => {
      next = null;
      return start();
    });
    return next;
  };
}

async function syncDirNow(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
