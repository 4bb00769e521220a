import type { RequestHandler } from 'express';
import type { Config } from '../config.ts';
import type { Store } from '../store/index.ts';

const MiB = 1024 * 1024;

/**
 * Refuses an upload (507, nothing read or stored) when what it declares would leave less than the
 * floor free. A new upload needs the whole floor (SEALDROP_MIN_FREE_MIB); the rest of one already
 * begun needs only a reserve, a quarter of the floor and at most 64 MiB, so that a source who has
 * started can usually finish while the database always has room to commit. A refusal here is the
 * guard working, not a full disk: it is logged as disk_low, not disk_full.
 */
export function requireSpace(config: Config, store: Store, kind: 'new' | 'continuing', most: () => number): RequestHandler {
  const floor = kind === 'new' ? config.minFreeBytes : Math.min(config.minFreeBytes / 4, 64 * MiB);
  return (req, _res, next) => {
    // What it claims counts only up to what the route accepts: a lying length gets its 413 there.
    const declared = Number(req.get('content-length') ?? 0);
    const need = Math.min(Number.isSafeInteger(declared) && declared > 0 ? declared : 0, most());
    store.space.ensure(need, floor).then(() => next(), next);
  };
}
