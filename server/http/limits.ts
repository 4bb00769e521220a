import type { Request, RequestHandler } from 'express';
import { cutSlowBody, slowestEvictable } from './body-rate.ts';
import { HttpError } from './errors.ts';
import { said } from '../i18n/said.ts';

const BUSY = said('error.busy');
/** How often the line looks again for a holder that may give way (holders age into it). */
const REJUDGE_MS = 250;

/** The limit, and a way for a route to keep its request's slot until it has settled (not merely until the client hangs up). */
export type Slots = RequestHandler & {
  /** `req`'s slot is freed by the function returned (once everything the route does with its body is done), not by its response closing. */
  takeOver(req: Request): () => void;
};

/** A short, bounded wait for a slot, for requests whose sender cannot retry (a form without JavaScript). */
export type Waiting = { maxWaiting: number; waitMs: number };

/**
 * Caps uploads in flight: each holds up to a part in memory, and behind Tor every source shares
 * one address, so a per-address limit is impossible. When every slot is taken, the slowest holder
 * whose body is arriving below the floor gives way to the newcomer (so trickling bytes cannot
 * hold the slots); if a route took the holder's slot over (takeOver), the holder is cut at once but
 * its slot is freed only when the route settles, and the newcomer waits in line for it (so cut
 * holders' routes and newcomers' never run more than `max` at once). Only when every holder is
 * genuinely busy: a clear 503 to retry, or, with `waiting`, a place in a short queue first. A waiting request's body is not read (it costs a
 * connection, which the connection guard bounds, and no memory), and the body-rate guard does not
 * hold the server's own pause against it. While requests wait, holders are judged again as they
 * age: one that may give way does so to the first in line, who would otherwise wait for a holder
 * to end, or be refused, behind tricklers that any newcomer could displace.
 */
export function concurrencyLimit(max: number, waiting: Waiting | null = null): Slots {
  const holders = new Set<Request>();
  // Requests whose route frees their slot itself: a client that sends its whole body and hangs up
  // would otherwise free the slot while the route still holds the body and writes it.
  const routeHeld = new WeakSet<Request>();
  const queue: (() => void)[] = [];
  let rejudging: NodeJS.Timeout | undefined;
  // Holders cut for a newcomer whose route still runs (takeOver): cut, but the slot stays taken
  // until the route frees it (its parts may still be writing), and then goes to the first in line.
  const cut = new Set<Request>();
  // Cuts the slowest holder that may give way; true if its slot is free now, false if it is
  // promised to the queue once its route settles; undefined if nobody may give way.
  const evict = (): boolean | undefined => {
    const slowest = slowestEvictable(holders);
    if (!slowest) return undefined;
    const req = slowest.req as Request;
    holders.delete(req);
    if (routeHeld.has(req)) cut.add(req);
    cutSlowBody(slowest);
    return !cut.has(req);
  };
  const rejudge = () => {
    // Only for those in line that no slot is already coming back to.
    while (queue.length > cut.size) {
      const freed = evict();
      if (freed === undefined) break;
      if (freed) queue.shift()!();
    }
    if (queue.length > 0) return;
    clearInterval(rejudging);
    rejudging = undefined;
  };
  const release = (req: Request) => {
    if (!holders.delete(req) && !cut.delete(req)) return;
    queue.shift()?.();
  };
  const admit = (req: Request, res: Parameters<RequestHandler>[1], next: Parameters<RequestHandler>[2]): boolean => {
    // Gone already (it hung up while an earlier step or its turn was awaited): its 'close' has
    // fired, so a slot taken now would never be given back.
    if (res.closed || req.socket.destroyed) return false;
    holders.add(req);
    res.once('close', () => routeHeld.has(req) || release(req));
    next();
    return true;
  };
  const limit: RequestHandler = (req, res, next) => {
    if (holders.size + cut.size < max) return void admit(req, res, next);
    // Freed now, not when its socket closes, so the newcomer never finds the slot still taken; or,
    // if its route still runs, the newcomer waits in line for that slot. None is cut while a slot
    // already coming back is not spoken for by those in line.
    if (cut.size <= queue.length && evict() === true) return void admit(req, res, next);
    if (!waiting || queue.length >= waiting.maxWaiting) return next(new HttpError(503, BUSY));
    const leave = () => {
      clearTimeout(timer);
      const i = queue.indexOf(turn);
      if (i >= 0) queue.splice(i, 1);
    };
    const turn = () => {
      leave();
      res.off('close', leave);
      if (!admit(req, res, next)) queue.shift()?.(); // gone meanwhile: the turn passes on
    };
    const timer = setTimeout(() => {
      leave();
      res.off('close', leave);
      next(new HttpError(503, BUSY));
    }, waiting.waitMs);
    // A client that hangs up while waiting gives its place back at once.
    res.once('close', leave);
    queue.push(turn);
    rejudging ??= setInterval(rejudge, REJUDGE_MS).unref();
  };
  return Object.assign(limit, {
    takeOver(req: Request) {
      routeHeld.add(req);
      // Gone already (its close came first): nothing is held, and freeing is a no-op.
      return () => release(req);
    },
  });
}
