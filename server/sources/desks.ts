import type { RequestHandler, Response } from 'express';
import { HttpError } from '../http/errors.ts';
import { said } from '../i18n/said.ts';
import type { RecipientSet, Recipients } from '../recipients.ts';
import { NotFoundError, type Store } from '../store/index.ts';
import type { DeskChoice } from '../views/source-desks.ts';

export type { Recipients };

/** A desk offered to sources, with the keys a send to it is encrypted to. */
export type OfferedDesk = DeskChoice & { recipients: RecipientSet };

/**
 * The desks a new source may choose: those with at least one active member whose key can still
 * encrypt (the store lists those with an active member; the recipients layer drops unusable keys).
 */
export async function offeredDesks(store: Store, recipients: Recipients): Promise<OfferedDesk[]> {
  const ask = store.desks.count() >= 2; // see chosenDesk
  const desks = await Promise.all(store.desks.offered().map(async (d) => ({ ...d, ask, recipients: await recipients(d.id) })));
  return desks.filter((d) => d.recipients.keys.length > 0);
}

/**
 * Whether a new source may send at all: to a desk offered, or, when the newsroom has no desk, to
 * every active journalist. Desks that exist with none offered (every member removed or disabled)
 * close the drop: their sources must never fall back to the whole newsroom.
 */
export async function openToNewSources(store: Store, recipients: Recipients, offered: readonly OfferedDesk[]): Promise<boolean> {
  if (offered.length > 0) return true;
  return store.desks.count() === 0 && (await recipients(null)).keys.length > 0;
}

export const NOT_OPEN = said('error.notOpen');
export const DESK_MISSING = said('source.desk.missing');
export const DESK_UNKNOWN = said('source.desk.unknown');
const DESK_ID = /^[1-9][0-9]{0,9}$/;

/**
 * The desk a new conversation belongs to, from what the source sent (a form field or a JSON value):
 * no desk at all (null) when the newsroom has none (desks with none offered: 503), the only one without asking when only one desk
 * exists, the one chosen otherwise. With two or more desks the source always chooses, even when
 * only one is offered: else an administrator who empties the other desks (removing members is never
 * held) and renames theirs would receive its sources silently (`ask`, set by offeredDesks). A choice missing, malformed or not offered is refused: nothing is stored.
 */
export function chosenDesk(store: Store, offered: readonly OfferedDesk[], raw: unknown): number | null {
  const given = raw === undefined || raw === null || raw === '' ? null : String(raw);
  if (offered.length === 0) {
    // Desks exist but none can receive: closed (openToNewSources), never the whole newsroom.
    if (store.desks.count() > 0) throw new HttpError(503, NOT_OPEN, 'not_open');
    return null;
  }
  if (given === null) {
    if (offered.length === 1 && !offered[0]!.ask) return offered[0]!.id;
    throw new HttpError(400, DESK_MISSING, 'desk_missing');
  }
  const desk = DESK_ID.test(given) ? offered.find((d) => d.id === Number(given)) : undefined;
  if (!desk) throw new HttpError(400, DESK_UNKNOWN, 'desk_unknown');
  return desk.id;
}

/**
 * The desk of a source whose session may outlive it (sessions are signed tokens): for a source the
 * newsroom deleted, null, and the store then refuses what it sends with its own clear answer.
 */
export function deskOfSource(store: Store, sourceId: string): number | null {
  try {
    return store.desks.deskOf(sourceId);
  } catch (error) {
    if (error instanceof NotFoundError) return null;
    throw error;
  }
}

type WithDesks = { desks?: readonly DeskChoice[] };

/** Kept for the answer: a refused no-JS send shows its form again, with the same desks. */
export function showDesks<T extends readonly DeskChoice[]>(res: Response, desks: T): T {
  (res.locals as WithDesks).desks = desks;
  return desks;
}

export const shownDesks = (res: Response): readonly DeskChoice[] | undefined => (res.locals as WithDesks).desks;

/** First on a no-JS form's route: the desks offered, read once, for the route and for any refusal (whose page shows the form again). */
export const offerDesks = (store: Store, recipients: Recipients): RequestHandler => async (_req, res, next) => {
  showDesks(res, await offeredDesks(store, recipients));
  next();
};

/** The desks `offerDesks` read for this request. */
export const offeredTo = (res: Response): readonly OfferedDesk[] => ((res.locals as WithDesks).desks ?? []) as readonly OfferedDesk[];
