import { statfs } from 'node:fs/promises';
import { DiskFullError } from './errors.ts';

const MiB = 1024 * 1024;

/** Free space on the data directory's filesystem, and the floor below which new uploads are refused. */
export type Space = {
  /** Bytes an unprivileged writer can still use there (read now). */
  free(): Promise<number>;
  /** Throws DiskFullError unless `bytes` more would still leave `floor` free. */
  ensure(bytes: number, floor: number): Promise<void>;
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
 * many parts at once. The figure read is kept for at most a second and lowered by every byte
 * accepted since, so it only errs low; it is used only while it leaves `slack` (512 MiB) above the
 * floor, and a refusal is always decided on a figure read now (a disk freed meanwhile is seen at
 * once). Near the floor, where the guard matters, every request reads the filesystem as before.
 */
export function spaceOf(dir: string, options: SpaceOptions = {}): Space {
  const { read = readFree, now = Date.now, maxAgeMs = 1000, slack = 512 * MiB } = options;
  let cached: { free: number; at: number } | null = null;
  const fresh = async (): Promise<number> => {
    const at = now();
    const free = await read(dir);
    cached = { free, at };
    return free;
  };
  return {
    free: fresh,
    async ensure(bytes, floor) {
      const c = cached;
      if (c && now() - c.at <= maxAgeMs && c.free - bytes >= floor + slack) {
        c.free -= bytes;
        return;
      }
      if ((await fresh()) - bytes < floor) throw new DiskFullError({ guard: true });
      cached!.free -= bytes;
    },
  };
}
