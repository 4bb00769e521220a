import type { RequestHandler } from 'express';
import { HttpError } from './errors.ts';

/**
 * Caps uploads in flight: each holds up to a part in memory, and behind Tor every source shares
 * one address, so a per-address limit is impossible. Past the cap, a clear 503 to retry.
 */
export function concurrencyLimit(max: number): RequestHandler {
  let inFlight = 0;
  return (_req, res, next) => {
    if (inFlight >= max) return next(new HttpError(503, 'The server is busy. Nothing was stored; please try again in a minute.'));
    inFlight++;
    res.once('close', () => inFlight--);
    next();
  };
}
