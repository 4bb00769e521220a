import type { Request, RequestHandler } from 'express';
import type { Config } from '../config.ts';
import type { Store } from '../store/index.ts';
import type { Reservation } from '../store/space.ts';

const MiB = 1024 * 1024;

const NOTHING: Reservation = { written: () => undefined, release: () => undefined };
/** Each admitted request's reservation, and whether its route took it over (then only the route gives it back). */
const held = new WeakMap<object, { reservation: Reservation; route: boolean }>();

/** The free space an upload must leave: a new one the whole floor (SEALDROP_MIN_FREE_MIB), the rest of one begun a quarter of it, at most 64 MiB. */
export function floorFor(config: Config, kind: 'new' | 'continuing'): number {
  return kind === 'new' ? config.minFreeBytes : Math.min(config.minFreeBytes / 4, 64 * MiB);
}

/**
 * Refuses an upload (507, nothing read or stored) when what it declares, besides what uploads
 * already admitted still hold (store/space.ts), would leave less than the floor free (floorFor):
 * a source who has started can usually finish while the database always has room to commit. A
 * refusal here is the guard working, not a full disk: it is logged as disk_low, not disk_full.
 * With `hold`, what it declares stays reserved until the response closes, or, for a route that
 * calls spaceOfRoute, until that route gives it back: only for a body read whole into memory
 * behind an upload slot (bounded by the limit). Without, the declared length is checked and
 * nothing is held (a claim is not bytes: a form that trickles must not hold space it never sends);
 * that route reserves each part's room as it is written.
 */
export function requireSpace(config: Config, store: Store, kind: 'new' | 'continuing', most: () => number, hold = true): RequestHandler {
  const floor = floorFor(config, kind);
  return (req, res, next) => {
    // What it claims counts only up to what the route accepts: a lying length gets its 413 there.
    const declared = Number(req.get('content-length') ?? 0);
    const need = Math.min(Number.isSafeInteger(declared) && declared > 0 ? declared : 0, most());
    if (!hold) return void store.space.check(need, floor).then(() => next(), next);
    store.space.ensure(need, floor).then((reservation) => {
      const entry = { reservation, route: false };
      held.set(req, entry);
      // A client gone already, or going before its route takes the reservation over, gives it back then.
      if (res.closed) reservation.release();
      else res.once('close', () => entry.route || reservation.release());
      next();
    }, next);
  };
}

/**
 * The route takes over its request's reservation: a client that hangs up no longer frees it, the
 * route does (release) once everything it writes is written. Nothing reserved: a reservation of nothing.
 */
export function spaceOfRoute(req: Request): Reservation {
  const entry = held.get(req);
  if (!entry) return NOTHING;
  entry.route = true;
  return entry.reservation;
}
