import { addressedToExactly, NotEncryptedError, readJournalistKey, readRecipientKeyIds, WrongRecipientsError, type JournalistKey } from '../common/envelope/index.ts';
import { IncompleteError, UntrustedDatabaseError, type Journalist, type Store } from './store/index.ts';
import { log } from './log/index.ts';
import { said } from './i18n/said.ts';

/** The journalist keys new material is encrypted to right now. */
export type RecipientSet = { keys: JournalistKey[]; keyIds: string[]; armored: string[] };
/** The recipients of one desk's material; null = the whole newsroom (no desk, or made before desks). */
export type Recipients = (deskId: number | null) => Promise<RecipientSet>;

// Keys expire with time, so usability is re-checked now and then rather than once at start-up.
const RECHECK_MS = 10 * 60_000;

/**
 * The active readers' keys that can still encrypt: every active journalist for null, a desk's
 * active members for a desk (pending members and keys are not applied, so never here). A key that
 * has expired or been revoked is left out (with a warning for the operator) instead of silently
 * closing the drop for every source.
 */
export function recipientsOf(store: Store): Recipients {
  const cache = new Map<string, { checked: number; key: Promise<JournalistKey | null> }>();
  const check = (j: Journalist, now: number) => {
    const hit = cache.get(j.publicKey);
    if (hit && now - hit.checked < RECHECK_MS) return hit.key;
    const key = readJournalistKey(j.publicKey).catch(() => {
      log('warn', 'key_unusable', { action: 'replace-key' });
      return null;
    });
    cache.set(j.publicKey, { checked: now, key });
    return key;
  };
  return async (deskId) => {
    const now = Date.now();
    const active = deskId === null ? store.journalists.active() : store.desks.activeMembers(deskId);
    const keys = await Promise.all(active.map((j) => check(j, now)));
    // The page encrypts to, and the framing check expects, what openpgp reads from the stored key;
    // what journalists are shown is the store's own reading of the same text. A key the two read
    // differently was crafted to show one fingerprint and receive with another: nothing is sent.
    keys.forEach((k, i) => {
      if (k && k.fingerprint !== active[i]!.fingerprint) throw new UntrustedDatabaseError('key_mismatch', `The stored key of journalist #${active[i]!.id} reads as two different keys`);
    });
    const usable = keys.filter((k): k is JournalistKey => k !== null);
    return { keys: usable, keyIds: usable.map((k) => k.recipientKeyId), armored: usable.map((k) => k.armored) };
  };
}

// PKESKs come first in every object, at most 1,106 bytes each with their header; then the SEIPD
// header and version byte. Only that much of each object is read.
export const headerBytes = (recipients: number) => recipients * 1106 + 7;
export const KEYS_CHANGED =
  'The newsroom’s journalist keys changed while this was being sent, so it was not stored. Reload the page and send again.';

/**
 * Each object was checked against the keys current when it arrived; a journalist disabled or
 * removed since must not receive the submission, so it completes only if every stored object is
 * addressed to exactly the keys current now. Returns the set checked: the caller records those
 * keys' fingerprints (submission_keys), not a later read that may name other keys.
 */
export async function assertStillAddressed(store: Store, id: string, current: () => Promise<RecipientSet>, sourceKeyId: string | null = null): Promise<RecipientSet> {
  // Nothing is read from disk for a submission that could not complete anyway.
  store.submissions.assertArrived(id);
  const checked = await current();
  const { keyIds } = checked;
  // The manifest (first) may also be sealed to the source's own key, so that the source can read its names.
  const [manifest, ...parts] = store.submissions.pendingObjects(id);
  const withSource = sourceKeyId === null ? keyIds : [...keyIds, sourceKeyId];
  const manifestIds = await objectRecipients(store, manifest!, withSource.length);
  if (!addressedToExactly(manifestIds, keyIds) && !addressedToExactly(manifestIds, withSource)) throw new WrongRecipientsError(KEYS_CHANGED);
  for (const blob of parts) {
    if (!addressedToExactly(await objectRecipients(store, blob, keyIds.length), keyIds)) throw new WrongRecipientsError(KEYS_CHANGED);
  }
  // The keys may have changed while the objects were being read.
  assertSameKeys((await current()).keyIds, keyIds);
  return checked;
}

/**
 * Completes a submission whose objects are all stored if each is still addressed to exactly the desk's current
 * keys (assertStillAddressed), through `complete` with the fingerprints of the keys checked. One that no longer
 * is is discarded: nobody can use it any more, and the page encrypts the item again for the current keys.
 */
export async function completeAddressed(store: Store, id: string, current: () => Promise<RecipientSet>, sourceKeyId: string | null, complete: (fingerprints: string[]) => void | Promise<void>): Promise<void> {
  let checked: RecipientSet;
  try {
    checked = await assertStillAddressed(store, id, current, sourceKeyId);
  } catch (error) {
    if (error instanceof WrongRecipientsError) await store.submissions.discard(id);
    throw error;
  }
  await complete(checked.keys.map((k) => k.fingerprint));
}

/** The key IDs an object is addressed to; none when it holds more PKESKs than `expected`. */
async function objectRecipients(store: Store, blob: string, expected: number): Promise<string[]> {
  let prefix: Uint8Array;
  try {
    prefix = await store.blobs.readPrefix(blob, headerBytes(expected));
  } catch (error) {
    // A part re-sent while this ran replaced its object: the source's page simply tries again.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new IncompleteError(said('store.partReplaced'));
    throw error;
  }
  try {
    return readRecipientKeyIds(prefix);
  } catch (error) {
    // Every object was checked whole on arrival: a prefix that ends among PKESKs names more keys than expected.
    if (error instanceof NotEncryptedError) return [];
    throw error;
  }
}

/** For the no-JS path, which encrypted to `used` as the bytes arrived, and a folded one-part item once its objects are on disk. */
export function assertSameKeys(now: readonly string[], used: readonly string[]): void {
  if (!addressedToExactly(now, used)) throw new WrongRecipientsError(KEYS_CHANGED);
}
