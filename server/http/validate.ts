import express, { type Request, type RequestHandler } from 'express';
import { isId } from '../../common/ids.ts';
import { HttpError } from './errors.ts';
import { readDeclared, type BodyPool } from './read-body.ts';
import { said, type Said } from '../i18n/said.ts';

const PART = /^[1-9]\d{0,5}$/;
// A Host header is a name or an IP literal and a port, nothing more (no userinfo, no path).
const HOST = /^(?:[a-z0-9.-]+|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/** The id in the path (`:id`), or a 404: anything that could not be an id never reaches the store. */
export function idParam(req: Request, notFound: Said, value: unknown = req.params.id): string {
  if (!isId(value)) throw new HttpError(404, notFound);
  return value;
}

export function submissionIdParam(req: Request): string {
  return idParam(req, said('error.noSubmission'));
}

export function partNumberParam(req: Request): number {
  const n = req.params.n;
  if (typeof n !== 'string' || !PART.test(n)) throw new HttpError(400, said('error.partNumber'));
  return Number(n);
}

/** A JSON object with exactly the allowed fields; anything else is refused rather than ignored. */
export function jsonObject(req: Request, allowed: readonly string[]): Record<string, unknown> {
  const body: unknown = req.body;
  if (!req.is('application/json') || typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new HttpError(415, said('error.jsonBody'));
  }
  const extra = Object.keys(body).filter((k) => !allowed.includes(k));
  if (extra.length) throw new HttpError(400, said('error.unknownField', { field: extra[0]! }));
  return body as Record<string, unknown>;
}

/**
 * A body that declares more than `max` bytes is answered at once, before any of it is read
 * (body-parser would first wait for all of it to arrive). A body that lies is still counted.
 */
export const declaresMoreThan = (req: Request, max: number): boolean => Number(req.get('content-length') ?? 0) > max;

/** A body whose whole length is declared up front and that is sent as is (no chunked framing, no compression). */
const plainWithLength = (req: Request): boolean =>
  /^\d{1,10}$/.test(req.get('content-length') ?? '') && req.get('transfer-encoding') === undefined && (req.get('content-encoding') ?? 'identity') === 'identity';

/**
 * Reads an octet-stream body, counting bytes as they arrive and stopping at the limit. With a pool, a body of a
 * declared length is read into one of its buffers, which the route gives back (`pool.settled(req)`) once done with it.
 */
export function rawBody(limit: (req: Request) => number, pool?: BodyPool): RequestHandler {
  return (req, res, next) => {
    if (!req.is('application/octet-stream')) return next(new HttpError(415, said('error.octetStream')));
    const max = limit(req);
    if (declaresMoreThan(req, max)) return next(new HttpError(413, said('error.objectTooLarge')));
    // What the page and the per-part API send: read into one buffer of that length (read-body.ts says why).
    if (plainWithLength(req)) {
      const length = Number(req.get('content-length'));
      const into = pool && length <= pool.capacity ? pool.lend(req) : undefined;
      return void readDeclared(req, length, into).then((body) => {
        req.body = body;
        next();
      }, (error: unknown) => {
        pool?.settled(req);
        next(error);
      });
    }
    // Anything else (a chunked or encoded body) as before: body-parser counts it, inflated, against the limit.
    express.raw({ type: 'application/octet-stream', limit: max })(req, res, next);
  };
}

export function bodyBytes(req: Request): Uint8Array {
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw new HttpError(400, said('error.emptyUpload'));
  return req.body;
}

/**
 * Browsers say where a request comes from: Sec-Fetch-Site, or failing that, Origin. A cross-site
 * state change is refused outright. Sec-Fetch-Site exists only in secure contexts, and an http
 * .onion page is one only in Tor Browser; elsewhere the Origin header decides, which the
 * `same-origin` referrer policy keeps real for this site's own forms. "null" (a sandboxed frame, a
 * data: page, or a page under `no-referrer`) stays refused: it could come from anywhere.
 */
export function isCrossSite(req: Request): boolean {
  const site = req.get('sec-fetch-site');
  if (site !== undefined) return site !== 'same-origin' && site !== 'none';
  const origin = req.get('origin');
  if (origin === undefined) return false;
  const host = req.get('host');
  try {
    const from = new URL(origin);
    if ((from.protocol !== 'http:' && from.protocol !== 'https:') || host === undefined || !HOST.test(host)) return true;
    // The Host header as the same URL parser reads it: lower case, no default port.
    return from.host !== new URL(`${from.protocol}//${host}`).host;
  } catch {
    return true; // "null" and other opaque origins, or a Host that is not a host
  }
}

export function sameOriginOnly(): RequestHandler {
  return (req, _res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD' && isCrossSite(req)) return next(new HttpError(403, said('error.crossSite')));
    next();
  };
}
