import type { Response } from 'express';
import type { Notice, Session } from '../auth/sessions.ts';
import { locals } from './session.ts';

/**
 * A notice after an action ("Deleted.", "Saved."): one catalog key and its values, kept in the
 * journalist's in-memory session until the next staff page shows it once. Only the key travels,
 * never a sentence: the page translates it into the reader's language when it renders. Like the
 * session, it is never written to disk or logged.
 */
export type { Notice };

const NOTICE_KEY = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)+$/;

/** Keeps `key` (with `params`) for the logged-in journalist's next staff page; replaces any notice not yet shown. */
export function notice(res: Response, key: string, params: Record<string, string | number> = {}): void {
  const session = locals(res).session;
  // A programming mistake, not a refusal: only a logged-in journalist's session carries notices.
  if (!session || session.journalistId === null) throw new TypeError('notice() needs a logged-in journalist');
  if (!NOTICE_KEY.test(key)) throw new TypeError('notice() takes a catalog key');
  const copy: Record<string, string | number> = {};
  for (const [name, value] of Object.entries(params)) {
    if (typeof value !== 'string' && typeof value !== 'number') throw new TypeError('notice() values are strings or numbers');
    copy[name] = value;
  }
  session.notice = { key, params: Object.freeze(copy) };
}

/**
 * The notice waiting in `session`, taken once: the first call clears it and every later call (the
 * same page rendered in each language, to pad it) returns the same one.
 */
export function noticeTaker(session: Session): () => Notice | null {
  let taken: Notice | null | undefined;
  return () => {
    if (taken === undefined) {
      taken = session.notice ?? null;
      delete session.notice;
    }
    return taken;
  };
}
