import type { RequestHandler } from 'express';
import type { Config } from '../config.ts';
import type { Store } from '../store/index.ts';

const MiB = 1024 * 1024;

/**
 * Refuses an upload (507, nothing read or stored) when what it declares would leave less than the
 * floor free. A new upload needs the whole floor (SEALDROP_MIN_FREE_MIB); the rest of one already
 * begun needs only a reserve, a quarter of the floor and at most 64 MiB, so that a source who has
 * started can usually finish while the database always has room to commit.
 */
export function requireSpace(config: Config, store: Store, kind: 'new' | 'continuing'): RequestHandler {
  const floor = kind === 'new' ? config.minFreeBytes : Math.min(config.minFreeBytes / 4, 64 * MiB);
  return (req, _res, next) => {
    const declared = Number(req.get('content-length') ?? 0);
    store.space.ensure(Number.isSafeInteger(declared) ? declared : 0, floor).then(() => next(), next);
  };
}
