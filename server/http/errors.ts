import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import { BadManifestError, NotEncryptedError, UnsupportedKeyError, WrongRecipientsError } from '../../common/envelope/index.ts';
import { renderMessagePage } from '../views/message.ts';
import { log } from '../log/index.ts';
import { SessionsFullError } from '../auth/sessions.ts';
import { KeyPoolBusyError } from '../sources/key-pool.ts';
import { StoredKeyRefusedError } from '../sources/unlock.ts';
import { ChangeRefusedError, ConflictError, DiskFullError, InvalidInputError, IncompleteError, isDiskFull, NotFoundError, SourceGoneError, StoreError } from '../store/index.ts';
import { EnvelopeError } from '../../common/envelope/index.ts';
import { inEnglish, said, say, type Said } from '../i18n/said.ts';
import type { Translator } from '../i18n/index.ts';
import { sendPage } from './pad-responses.ts';

// A refusal without a more specific code is named by its status. Codes are a contract with the
// browser (and any script): a message may be reworded, a code never changes meaning.
const STATUS_CODES: Readonly<Record<number, string>> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'too_slow',
  409: 'conflict',
  413: 'too_large',
  415: 'unsupported_media_type',
  429: 'too_many_attempts',
  507: 'no_space',
  503: 'busy',
};

export const codeForStatus = (status: number): string => STATUS_CODES[status] ?? (status >= 500 ? 'server_error' : 'bad_request');

/** An error whose message is written for the person who made the request, in their language. */
export class HttpError extends Error {
  override name = 'HttpError';
  readonly code: string;
  constructor(
    readonly status: number,
    readonly said: Said,
    code?: string,
  ) {
    super(inEnglish(said));
    this.code = code ?? codeForStatus(status);
  }
}

type ErrorClass = abstract new (...args: never[]) => Error;

/**
 * Domain errors, most specific first: the one place a domain failure becomes an HTTP status and a
 * code. Envelope errors name their own code (the browser and CLI see the same classes).
 */
const DOMAIN: readonly { type: ErrorClass; status: number; code?: string; key?: string }[] = [
  { type: WrongRecipientsError, status: 409 },
  { type: NotEncryptedError, status: 400 },
  { type: BadManifestError, status: 400 },
  { type: UnsupportedKeyError, status: 400 }, // and its SourceKeyError, with a code of its own
  { type: SourceGoneError, status: 401, code: 'source_gone' },
  { type: NotFoundError, status: 404, code: 'not_found' },
  { type: ChangeRefusedError, status: 409 }, // its own code: same_admin, not_admin
  { type: ConflictError, status: 409, code: 'conflict' },
  { type: InvalidInputError, status: 400, code: 'bad_request' },
  { type: IncompleteError, status: 409, code: 'incomplete_submission' },
  { type: StoredKeyRefusedError, status: 409, code: 'source_key_refused', key: 'error.storedKeyRefused' },
  { type: DiskFullError, status: 507, code: 'no_space' },
  { type: SessionsFullError, status: 503, code: 'busy', key: 'error.sessionsFull' },
  { type: KeyPoolBusyError, status: 503, code: 'busy', key: 'error.busy' },
];

// Their messages are written for the person who asked, so they are shown even as a 5xx.
const SPOKEN: readonly ErrorClass[] = [HttpError, SessionsFullError, KeyPoolBusyError, DiskFullError];
const spoken = (error: unknown): boolean => SPOKEN.some((type) => error instanceof type);

/**
 * The message in the reader's language. Envelope errors name a technical detail (which packet, which
 * key) that stays in English inside the translated sentence; store and HTTP refusals have keys.
 */
function translated(t: Translator, error: unknown): string | null {
  if (error instanceof HttpError || error instanceof StoreError) return say(t, error.said);
  if (isDiskFull(error)) return t.text('error.noSpace');
  const key = DOMAIN.find((r) => error instanceof r.type)?.key;
  if (key) return t.text(key);
  if (error instanceof EnvelopeError) return t.text('error.envelope', { detail: error.message });
  return null;
}

/** What a failure is called on the wire: its status and stable code (the message is chosen apart). */
export function classify(error: unknown): { status: number; code: string } {
  if (error instanceof HttpError) return { status: error.status, code: error.code };
  // SQLite's own disk-full failure (a commit that found no room) reads as the store's.
  if (isDiskFull(error)) return classify(new DiskFullError());
  const rule = DOMAIN.find((r) => error instanceof r.type);
  if (rule) return { status: rule.status, code: rule.code ?? (error as { code: string }).code };
  const typed = error as { type?: string; status?: number };
  if (typed.type === 'entity.too.large') return { status: 413, code: codeForStatus(413) };
  if (typed.type === 'entity.parse.failed') return { status: 400, code: 'bad_json' };
  const status = typeof typed.status === 'number' && typed.status >= 400 && typed.status < 500 ? typed.status : 500;
  return { status, code: codeForStatus(status) };
}

function messageOf(t: Translator, status: number, error: unknown): string {
  // A server fault stays generic even where a translation exists (an envelope error outside the table is a 500).
  const own = translated(t, error);
  if (own !== null && (status < 500 || spoken(error) || isDiskFull(error))) return own;
  if (spoken(error)) return (error as Error).message;
  if (status === 413) return t.text('error.tooLarge');
  if (status === 400 && (error as { type?: string }).type === 'entity.parse.failed') return t.text('error.badJson');
  // Unexpected server faults get a generic message: internals are nobody's business, and bodies are never echoed.
  if (status >= 500) return t.text('error.server');
  // Express and body-parser word their own refusals, echoing the request ("Failed to decode param '%ZZ'").
  if (typeof (error as { status?: unknown }).status === 'number') return t.text('error.unreadable', { status });
  return (error as Error).message;
}

const wantsJson = (path: string): boolean => path.startsWith('/api/');

export function notFound(): RequestHandler {
  return (_req, _res, next) => next(new HttpError(404, said('error.notFound')));
}

// The guard's refusals repeat for every upload while space is low: one line a minute says so.
let lastDiskLow = 0;
function logDiskRefusal(error: unknown, method: string): void {
  if (!(error instanceof DiskFullError && error.guard)) return log('error', 'disk_full', { method });
  if (Date.now() - lastDiskLow < 60_000) return;
  lastDiskLow = Date.now();
  log('warn', 'disk_low', { method });
}

/**
 * The HTML page a refusal is shown in: `page(res)` is asked once a request, and its answer renders
 * the page in each language. The journalist listener frames it as a staff page (the workspace
 * shell swaps it in like any other); the source listener keeps the plain message page.
 */
export type ErrorPage = (res: Response) => (t: Translator, title: string, message: string) => string;
const messagePage: ErrorPage = () => (t, title, message) => renderMessagePage({ t, title, message });

export function errorHandler({ page = messagePage }: { page?: ErrorPage } = {}): ErrorRequestHandler {
  return (error, req, res, _next) => {
    // Already answered (e.g. a slow body cut with a 408): the route's own failure has nobody to tell.
    if (res.headersSent) return void (res.writableEnded || res.destroy());
    const { status, code } = classify(error);
    // Log the class only: never bodies, names, keys or addresses.
    if (status === 507) logDiskRefusal(error, req.method);
    else if (status >= 500 && !spoken(error)) log('error', 'request_failed', { error: (error as Error)?.name ?? 'unknown', method: req.method, status });
    // Worded in every language, so that the refusal is as long whichever one its reader chose.
    const json = wantsJson(req.path);
    const render = json ? null : page(res);
    sendPage(res.status(status), (t) => {
      const message = messageOf(t, status, error);
      return render ? render(t, t.text(status >= 500 ? 'error.title.server' : 'error.title.refused'), message) : JSON.stringify({ error: message, code });
    }, { type: json ? 'json' : 'html' });
  };
}
