import type { ErrorRequestHandler, RequestHandler } from 'express';
import { BadManifestError, NotEncryptedError, UnsupportedKeyError, WrongRecipientsError } from '../../common/envelope/index.ts';
import { renderMessagePage } from '../views/message.ts';
import { SessionsFullError } from '../auth/sessions.ts';
import { ConflictError, IncompleteError, NotFoundError, SourceGoneError } from '../store/index.ts';

/** An error whose message is written for the person who made the request. */
export class HttpError extends Error {
  override name = 'HttpError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function statusOf(error: unknown): number {
  if (error instanceof HttpError) return error.status;
  if (error instanceof NotEncryptedError || error instanceof BadManifestError || error instanceof UnsupportedKeyError) return 400;
  if (error instanceof WrongRecipientsError) return 409;
  if (error instanceof SourceGoneError) return 401;
  if (error instanceof NotFoundError) return 404;
  if (error instanceof ConflictError || error instanceof IncompleteError) return 409;
  if (error instanceof SessionsFullError) return 503;
  const typed = error as { type?: string; status?: number };
  if (typed.type === 'entity.too.large') return 413;
  if (typed.type === 'entity.parse.failed') return 400;
  if (typeof typed.status === 'number' && typed.status >= 400 && typed.status < 500) return typed.status;
  return 500;
}

function messageOf(status: number, error: unknown): string {
  if (error instanceof HttpError || error instanceof SessionsFullError) return error.message;
  if (status === 413) return 'This upload is larger than the server accepts. Nothing was stored.';
  if (status === 400 && (error as { type?: string }).type === 'entity.parse.failed') return 'The request body is not valid JSON.';
  // Unexpected server faults get a generic message: internals are nobody's business, and bodies are never echoed.
  if (status >= 500) return 'Something went wrong on the server. Nothing you sent was kept; please try again.';
  // Express and body-parser word their own refusals, echoing the request ("Failed to decode param '%ZZ'").
  if (typeof (error as { status?: unknown }).status === 'number') return `The server cannot read this request (HTTP ${status}). Nothing was stored.`;
  return (error as Error).message;
}

const wantsJson = (path: string): boolean => path.startsWith('/api/');

export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new HttpError(404, 'There is nothing at this address.'));
}

export function errorHandler(): ErrorRequestHandler {
  return (error, req, res, _next) => {
    // Already answered (e.g. a slow body cut with a 408): the route's own failure has nobody to tell.
    if (res.headersSent) return void (res.writableEnded || res.destroy());
    const status = statusOf(error);
    const message = messageOf(status, error);
    // Log the class only: never bodies, names, keys or addresses.
    if (status >= 500 && !(error instanceof HttpError) && !(error instanceof SessionsFullError)) console.error(`error: ${(error as Error)?.name ?? "unknown"} on ${req.method}`);
    res.status(status);
    if (wantsJson(req.path)) res.json({ error: message });
    else res.type('html').send(renderMessagePage({ title: status >= 500 ? 'Server error' : 'Request refused', message }));
  };
}
