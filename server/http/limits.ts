import type { Request, RequestHandler } from 'express';
import { cutSlowBody, slowestEvictable } from './body-rate.ts';
import { HttpError } from './errors.ts';

/**
 * Caps uploads in flight: each holds up to a part in memory, and behind Tor every source shares
 * one address, so a per-address limit is impossible. When every slot is taken, the slowest holder
 * whose body is arriving below the floor gives way to the newcomer (so trickling bytes cannot
 * hold the slots); only when every holder is genuinely busy, a clear 503 to retry.
 */
export function concurrencyLimit(max: number): RequestHandler {
  const holders = new Set<Request>();
  return (req, res, next) => {
    if (holders.size >= max) {
      const slowest = slowestEvictable(holders);
      if (!slowest) return next(new HttpError(503, 'The server is busy. Nothing was stored; please try again in a minute.'));
      // Freed now, not when its socket closes, so the newcomer never finds the slot still taken.
      holders.delete(slowest.req as Request);
      cutSlowBody(slowest);
    }
    holders.add(req);
    res.once('close', () => holders.delete(req));
    next();
  };
}
