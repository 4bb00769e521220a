import type { Response } from 'express';
import type { AccountKey } from '../../views/journalist/account.ts';
import { locals } from '../../http/session.ts';
import type { ChangeKind, ChangePayloads, Journalist, Store } from '../../store/index.ts';

// The two-person rule as the journalist routes use it (store/changes.ts holds the rule itself).

/**
 * Asks for a change to who can read what, as the logged-in journalist; true when it waits for a
 * second administrator (the store records change.request), false when it applied at once.
 */
export async function requestChange<K extends ChangeKind>(store: Store, res: Response, kind: K, payload: ChangePayloads[K]): Promise<boolean> {
  const result = await store.changes.request(kind, payload, locals(res).journalist!.id);
  return !result.applied;
}

/** New desk members waiting for confirmation, for the desks page. */
export const pendingMembers = (store: Store) =>
  store.changes.pendingOf('member').map((c) => ({ ...c.payload, username: c.journalist ?? '' }));

/** Journalists whose key waits for a second administrator before anything is encrypted to it. */
export const awaitingEnable = (store: Store): Set<number> =>
  new Set(store.changes.pendingOf('enable').map((c) => c.payload.journalistId));

/** The account page's key: the current fingerprint, and a replacement this journalist asked for that still waits. */
export function ownKey(store: Store, j: Journalist): AccountKey {
  const waiting = store.changes.pendingOf('key').find((c) => c.payload.journalistId === j.id);
  return { fingerprint: j.fingerprint, pending: waiting?.added[0] ?? null };
}

