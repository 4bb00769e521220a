import { statfs } from 'node:fs/promises';
import { DiskFullError } from './errors.ts';

/** Free space on the data directory's filesystem, and the floor below which new uploads are refused. */
export type Space = {
  /** Bytes an unprivileged writer can still use there. */
  free(): Promise<number>;
  /** Throws DiskFullError unless `bytes` more would still leave `floor` free. */
  ensure(bytes: number, floor: number): Promise<void>;
};

export function spaceOf(dir: string): Space {
  const free = async () => {
    const s = await statfs(dir);
    return s.bavail * s.bsize;
  };
  return {
    free,
    async ensure(bytes, floor) {
      if ((await free()) - bytes < floor) throw new DiskFullError({ guard: true });
    },
  };
}
