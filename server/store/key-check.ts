import type { Db } from './db.ts';
import { keyIdsOf, StoredKeyError, type KeyIds } from './key-ids.ts';
import { UntrustedDatabaseError } from './trust.ts';
import { prepared } from './statements.ts';

// Columns that repeat what a key already says (a journalist's fingerprint and recipient key ID, a
// source's recipient key ID) are never shown or used as they are stored: the store derives them
// from the key. They are still checked at every open, because a row whose columns disagree with
// its key was not written by Sealdrop: a forged backup showing the newsroom's real fingerprints
// beside an attacker's key. Such a database is refused whole.

/** The key's identifiers, or the refusal that names the row (by number: never a name or a key). */
function derived(armored: string, row: string): KeyIds {
  try {
    return keyIdsOf(armored);
  } catch (error) {
    if (error instanceof StoredKeyError) throw new UntrustedDatabaseError('key_mismatch', `The public key of ${row} is unreadable: ${error.message}`);
    throw error;
  }
}

/** A journalist's fingerprint, computed from their stored key. */
export const fingerprintOf = (armored: string): string => derived(armored, 'a journalist').fingerprint;

/**
 * A source's recipient key ID, computed from its stored key: Sealdrop's source keys have exactly
 * one subkey, the encryption one (common/envelope/source-key.ts refuses any other shape).
 */
export function sourceRecipientOf(armored: string, row = 'a source'): string {
  const { subkeyIds } = derived(armored, row);
  if (subkeyIds.length !== 1) throw new UntrustedDatabaseError('key_mismatch', `The public key of ${row} has ${subkeyIds.length} subkeys, where a source key has one`);
  return subkeyIds[0]!;
}

/** A new source's key and recipient key ID must agree (the route read both with the envelope). */
export function assertNewSourceKey(publicKey: string, recipientKeyId: string): void {
  let ok = false;
  try {
    ok = sourceRecipientOf(publicKey, 'the new source') === recipientKeyId.toLowerCase();
  } catch {
    // Reported below, as the caller's bug.
  }
  if (!ok) throw new Error('The source key and recipient key ID given to the store disagree (or the key is not a source key).');
}

/** What is wrong with a journalist's key fields, or null when all three are the key's own. */
export function keyFieldsProblem(k: { fingerprint: string; recipientKeyId: string; publicKey: string }, row: string): string | null {
  const ids = derived(k.publicKey, row);
  if (ids.fingerprint !== k.fingerprint.toUpperCase()) return `The fingerprint stored for ${row} (${k.fingerprint}) is not that of its public key (${ids.fingerprint})`;
  if (!ids.keyIds.includes(k.recipientKeyId.toLowerCase())) return `The recipient key ID stored for ${row} (${k.recipientKeyId}) is not one of its public key's own`;
  return null;
}

/** The fields a caller read with the envelope must be the key's own: the store keeps all three. */
export function assertNewKeyFields(k: { fingerprint: string; recipientKeyId: string; publicKey: string }): void {
  let problem: string | null;
  try {
    problem = keyFieldsProblem(k, 'the new journalist');
  } catch (error) {
    problem = (error as Error).message;
  }
  // A bug in the caller, not a forged database: routes and the CLI pass what readJournalistKey returned.
  if (problem) throw new Error(`The key fields given to the store disagree with the key: ${problem.split('. ')[0]}.`);
}

/** Every journalist, retired key, pending key change and source row agrees with its own key; else the database is refused. */
export function assertKeysAgree(db: Db): void {
  assertJournalistKeys(db);
  assertRetiredKeys(db);
  assertPendingKeys(db);
  assertSourceKeys(db);
}

function assertJournalistKeys(db: Db): void {
  type J = { id: number; fingerprint: string; recipient_key_id: string; public_key: string };
  for (const j of prepared(db, 'SELECT id, fingerprint, recipient_key_id, public_key FROM journalists').all() as J[]) {
    const problem = keyFieldsProblem({ fingerprint: j.fingerprint, recipientKeyId: j.recipient_key_id, publicKey: j.public_key }, `journalist #${j.id}`);
    if (problem) throw new UntrustedDatabaseError('key_mismatch', problem);
  }
}

// A retired key names what is sealed to it (and who may still open it): a forged row showing a
// journalist's old fingerprint beside another key would vouch for that key the same way.
function assertRetiredKeys(db: Db): void {
  type R = { n: number; fingerprint: string; recipient_key_id: string; public_key: string };
  for (const r of prepared(db, 'SELECT rowid AS n, fingerprint, recipient_key_id, public_key FROM retired_keys').all() as R[]) {
    const problem = keyFieldsProblem({ fingerprint: r.fingerprint, recipientKeyId: r.recipient_key_id, publicKey: r.public_key }, `retired key row ${r.n}`);
    if (problem) throw new UntrustedDatabaseError('key_mismatch', problem);
  }
  // A key is current or retired, never both, and never two journalists' (journalists.ts refuses a
  // key someone holds or held): a retired row naming a current key would let its journalist see
  // what is sealed to a colleague's key as theirs.
  const both = prepared(db, 'SELECT r.rowid AS n FROM retired_keys r JOIN journalists j ON upper(j.fingerprint) = upper(r.fingerprint) LIMIT 1').get() as { n: number } | undefined;
  if (both) throw new UntrustedDatabaseError('key_mismatch', `Retired key row ${both.n} names a key that is a journalist's current key`);
}

/**
 * A pending key change holds the key a second administrator is asked to confirm: they are shown
 * the fingerprint computed from it, so it must be one readable public key for a journalist who
 * exists, and any identifier written beside it must be its own. Applied or not is never read from
 * the payload (a change is applied only when confirmed, which removes its row).
 */
function assertPendingKeys(db: Db): void {
  type P = { id: number; payload: string };
  for (const p of db.prepare("SELECT id, payload FROM pending_changes WHERE kind = 'key'").all() as P[]) {
    const row = `pending change #${p.id}`;
    let payload: { journalistId?: unknown; publicKey?: unknown; fingerprint?: unknown; recipientKeyId?: unknown };
    try {
      payload = JSON.parse(p.payload) as typeof payload;
    } catch {
      throw new UntrustedDatabaseError('key_mismatch', `The payload of ${row} is not JSON`);
    }
    if (typeof payload !== 'object' || payload === null || typeof payload.publicKey !== 'string' || !Number.isInteger(payload.journalistId)) {
      throw new UntrustedDatabaseError('key_mismatch', `The payload of ${row} does not hold a journalist and a public key`);
    }
    // A change for a journalist since removed is no forgery (a database of an older version kept
    // them): nobody can be shown it, and pending() drops it.
    if (!prepared(db, 'SELECT 1 FROM journalists WHERE id = ?').get(payload.journalistId)) continue;
    const ids = derived(payload.publicKey, row);
    if (payload.fingerprint !== undefined && String(payload.fingerprint).toUpperCase() !== ids.fingerprint) throw new UntrustedDatabaseError('key_mismatch', `The fingerprint written in ${row} is not that of its public key (${ids.fingerprint})`);
    if (payload.recipientKeyId !== undefined && !ids.keyIds.includes(String(payload.recipientKeyId).toLowerCase())) throw new UntrustedDatabaseError('key_mismatch', `The recipient key ID written in ${row} is not one of its public key's own`);
  }
}

function assertSourceKeys(db: Db): void {
  // rowid, not id: a source's id is a login-free handle, and error messages reach logs.
  type S = { n: number; public_key: string | null; recipient_key_id: string | null };
  for (const s of prepared(db, 'SELECT rowid AS n, public_key, recipient_key_id FROM sources').all() as S[]) {
    const row = `source row ${s.n}`;
    // Sources made before codenames (schema 1 and 2) have neither.
    if (s.public_key === null && s.recipient_key_id === null) continue;
    if (s.public_key === null || s.recipient_key_id === null || sourceRecipientOf(s.public_key, row) !== s.recipient_key_id.toLowerCase()) {
      throw new UntrustedDatabaseError('key_mismatch', `The recipient key ID stored for ${row} is not that of its public key`);
    }
  }
}
