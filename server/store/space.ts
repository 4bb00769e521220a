import { statfs } from 'node:fs/promises';
import { DiskFullError } from './errors.ts';

const MiB = 1024 * 1024;

/** Bytes an accepted upload may still write: counted against the free figure until given back. */
export type Reservation = {
  /** `bytes` of it are on disk now (a statfs sees them): the hold shrinks by as much, never below nothing. */
  written(bytes: number): void;
  /** What is left of it goes back (the upload ended, stored or not). Once is enough; more do nothing. */
  release(): void;
};

/** Free space on the data directory's filesystem, and the floor below which new uploads are refused. */
export type Space = {
  /** Bytes an unprivileged writer can still use there (read now). */
  free(): Promise<number>;
  /** Throws DiskFullError unless `bytes` more, besides every reservation still held, would still leave `floor` free; else holds `bytes` until released. */
  ensure(bytes: number, floor: number): Promise<Reservation>;
  /** The same question, holding nothing: for what is only claimed (a declared length), not yet arrived. */
  check(bytes: number, floor: number): Promise<void>;
  /** Bytes held by accepted uploads not yet written (for tests and diagnostics). */
  reserved(): number;
};

export type SpaceOptions = {
  /** The filesystem's free bytes (tests give their own). */
  read?: (dir: string) => Promise<number>;
  now?: () => number;
  /** How long a figure read from the filesystem may be used. */
  maxAgeMs?: number;
  /** A cached figure is used only while what it leaves stays this far above the floor. */
  slack?: number;
};

const readFree = async (dir: string): Promise<number> => {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
};

/**
 * The guard asks before every upload; a statfs per request was 2-5% of the server's CPU under
 * many parts at once. The figure read is kept for at most a second and is used only while it
 * leaves `slack` (512 MiB) above the floor; a refusal is always decided on a figure read now (a
 * disk freed meanwhile is seen at once). A statfs cannot see bytes accepted but not yet written,
 * so every accepted upload holds a reservation, counted against the cached and the fresh figure
 * alike until its route settles (or, as its parts are written, shrinks): many uploads let in at
 * once cannot together pass the floor. What is written since also lowers the kept figure, which
 * predates those writes; what is released unwritten does not (it never reached the disk). Bytes
 * written before a read and still held count twice until released, so the figure only errs low.
 */
export function spaceOf(dir: string, options: SpaceOptions = {}): Space {
  const { read = readFree, now = Date.now, maxAgeMs = 1000, slack = 512 * MiB } = options;
  let cached: { free: number; at: number } | null = null;
  let reserved = 0;
  const fresh = async (): Promise<number> => {
    const at = now();
    const free = await read(dir);
    cached = { free, at };
    return free;
  };
  const reserve = (bytes: number): Reservation => {
    let held = bytes;
    reserved += held;
    const giveBack = (n: number): number => {
      const back = Math.min(Math.max(n, 0), held);
      held -= back;
      reserved -= back;
      return back;
    };
    return {
      written: (n) => {
        const back = giveBack(n);
        if (cached) cached.free -= back;
      },
      release: () => void giveBack(held),
    };
  };
  // `then` runs in the same turn as the decision: no other request's check comes between it and a reservation.
  const fits = async <T>(bytes: number, floor: number, then: () => T): Promise<T> => {
    const c = cached;
    if (c && now() - c.at <= maxAgeMs && c.free - reserved - bytes >= floor + slack) return then();
    if ((await fresh()) - reserved - bytes < floor) throw new DiskFullError({ guard: true });
    return then();
  };
  return {
    free: fresh,
    reserved: () => reserved,
    check: (bytes, floor) => fits(bytes, floor, () => undefined),
    ensure: (bytes, floor) => fits(bytes, floor, () => reserve(bytes)),
  };
}
