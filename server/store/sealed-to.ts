import { closeSync, constants, openSync, readSync } from 'node:fs';
import path from 'node:path';
import { readRecipientKeyIds } from '../../common/envelope/headers.ts';
import { log } from '../log/index.ts';
import type { Db } from './db.ts';
import { keyIdsOf as idsOfKey } from './key-ids.ts';

// Which keys each item and reply is sealed to is written when it is stored (submissions.complete,
// replies.add). Rows made before schema 9 (and items completed by code that passed none) are
// filled here when the store opens, from the objects themselves: each object's header names the
// recipient key IDs of its PKESKs, mapped to fingerprints through current and retired journalist
// keys. A key ID nobody's key has any more is kept as "unknown:<keyid>" (a former colleague's);
// the source's own key is "source" in a reply and left out of an item's (submission_keys names
// journalist keys only; a manifest may be sealed to the source too, so its page can list it). Only the headers are read, never more; what cannot be read (a
// file gone, bytes that are not a message) is left for the next open.

// PKESKs come first, at most 1,106 bytes each: this reads the header of a message to 59 keys.
const PREFIX_BYTES = 64 * 1024;
const READ_FLAGS = constants.O_RDONLY | (constants.O_NOATIME ?? 0);

/** The recipient key IDs of one stored object, or null when its header cannot be read. */
function keyIdsOf(objectsDir: string, name: string): string[] | null {
  let fd: number;
  try {
    fd = openSync(path.join(objectsDir, path.basename(name)), READ_FLAGS);
  } catch {
    return null;
  }
  try {
    const buffer = Buffer.alloc(PREFIX_BYTES);
    const read = readSync(fd, buffer, 0, PREFIX_BYTES, 0);
    return readRecipientKeyIds(buffer.subarray(0, read));
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

/** Whose key a key ID is: the key's primary fingerprint, its journalist, and whether it is retired. */
export type KeyIdOwner = { fingerprint: string; journalistId: number; retired: boolean };

/**
 * Every key ID (primary and every subkey: a PKESK may name any encryption subkey, and a smartcard
 * key's recipient subkey is not always its last) of every journalist key, current and retired → its
 * key. A key ID two different keys claim is nobody's: "last one wins" would let one journalist's key
 * stand for another's (sealed-to rows, a rotation dropping a colleague's PKESK), so it maps to
 * nothing (shown as unknown) and a warning is logged.
 */
export function keyIdOwners(db: Db): Map<string, KeyIdOwner> {
  const rows = db
    .prepare('SELECT id AS journalistId, fingerprint, recipient_key_id AS keyId, public_key AS publicKey, 0 AS retired FROM journalists UNION ALL SELECT journalist_id, fingerprint, recipient_key_id, public_key, 1 FROM retired_keys')
    .all() as { journalistId: number; fingerprint: string; keyId: string; publicKey: string; retired: number }[];
  const out = new Map<string, KeyIdOwner>();
  const claimedTwice = new Set<string>();
  for (const r of rows) {
    let ids = [r.keyId.toLowerCase()];
    try {
      ids = [...new Set([...ids, ...idsOfKey(r.publicKey).keyIds])];
    } catch {
      // A key the store cannot parse still has its recorded recipient key ID (store open checks the rest).
    }
    for (const id of ids) {
      const seen = out.get(id);
      if (seen && seen.fingerprint !== r.fingerprint) claimedTwice.add(id);
      else out.set(id, { fingerprint: r.fingerprint, journalistId: r.journalistId, retired: r.retired === 1 });
    }
  }
  for (const id of claimedTwice) out.delete(id);
  if (claimedTwice.size) log('warn', 'key_id_ambiguous', { keyIds: claimedTwice.size });
  return out;
}

/** Recipient key ID (lower-case hex) → fingerprint, for every journalist key current or retired. */
function keyMap(db: Db): Map<string, string> {
  return new Map([...keyIdOwners(db)].map(([id, o]) => [id, o.fingerprint]));
}

/**
 * The fingerprints a set of objects is sealed to (their union), or null if one cannot be read.
 * `source`: the source's recipient key ID and what to record for it (null: nothing).
 */
function sealedTo(objectsDir: string, names: string[], keys: Map<string, string>, source: { keyId: string | null; as: string | null }): string[] | null {
  const out = new Set<string>();
  for (const name of names) {
    const ids = keyIdsOf(objectsDir, name);
    if (ids === null) return null;
    for (const id of ids.map((i) => i.toLowerCase())) {
      const fp = id === source.keyId ? source.as : (keys.get(id) ?? `unknown:${id}`);
      if (fp !== null) out.add(fp);
    }
  }
  return names.length ? [...out] : null;
}

/** Fills submission_keys and replies.sealed_to where they are missing; how many rows were filled. */
export function backfillSealedTo(db: Db, objectsDir: string): { submissions: number; replies: number } {
  const items = db
    .prepare(
      `SELECT s.id, s.manifest_blob, so.recipient_key_id AS source_key FROM submissions s JOIN sources so ON so.id = s.source_id
       WHERE s.state = 'complete' AND NOT EXISTS (SELECT 1 FROM submission_keys k WHERE k.submission_id = s.id)`,
    )
    .all() as { id: string; manifest_blob: string | null; source_key: string | null }[];
  const replies = db
    .prepare('SELECT r.id, r.blob, so.recipient_key_id AS source_key FROM replies r JOIN sources so ON so.id = r.source_id WHERE r.sealed_to IS NULL')
    .all() as { id: string; blob: string; source_key: string | null }[];
  if (items.length === 0 && replies.length === 0) return { submissions: 0, replies: 0 };
  const keys = keyMap(db);
  const partsOf = db.prepare('SELECT blob FROM parts WHERE submission_id = ? ORDER BY n').pluck();
  const addKey = db.prepare('INSERT OR IGNORE INTO submission_keys (submission_id, fingerprint) VALUES (?, ?)');
  const setReply = db.prepare('UPDATE replies SET sealed_to = ? WHERE id = ? AND sealed_to IS NULL');
  const filled = { submissions: 0, replies: 0 };
  // Files are read before the transaction: it holds the database only for the writes.
  const objectsOf = (s: (typeof items)[number]) => [...(s.manifest_blob ? [s.manifest_blob] : []), ...(partsOf.all(s.id) as string[])];
  const itemKeys = items.map((s) => ({ id: s.id, fps: sealedTo(objectsDir, objectsOf(s), keys, { keyId: s.source_key?.toLowerCase() ?? null, as: null }) }));
  const replyKeys = replies.map((r) => ({ id: r.id, fps: sealedTo(objectsDir, [r.blob], keys, { keyId: r.source_key?.toLowerCase() ?? null, as: 'source' }) }));
  db.transaction(() => {
    for (const { id, fps } of itemKeys) {
      if (!fps) continue;
      fps.forEach((fp) => addKey.run(id, fp));
      filled.submissions++;
    }
    for (const { id, fps } of replyKeys) {
      if (fps && setReply.run(JSON.stringify(fps), id).changes) filled.replies++;
    }
  })();
  return filled;
}
