import { splitHeader } from '../../common/envelope/rewrap.ts';
import { canSee, itemVisible, replyVisible } from './access.ts';
import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

// What a re-wrap must do to each object, worked out from the objects' own headers (the rows say
// which objects there are; only each header says which keys open it). An object is named by a ref:
// `m:<submission>` (a manifest), `p:<submission>:<n>` (a part), `r:<reply>` (a reply), `l:<source>`
// (the conversation's label, kept in its row rather than in a file).

/** One stored object: its ref, its file (a label: its base64 ciphertext, `inline`), and whose it is. */
export type StoredObject = { ref: string; blob: string; submission: string | null; reply: string | null; inline?: boolean };
/** An object's PKESKs as they stand: their exact bytes and the key IDs they name. */
export type ObjectHeader = StoredObject & { header: Uint8Array; keyIds: string[] };
/** What one object becomes: the key IDs whose PKESKs stay (byte-identical) and those to add. */
export type ObjectPlan = ObjectHeader & { keep: Set<string>; add: string[] };
/** A whole operation: each object's plan, and the public key of every key ID to add (for the page). */
export type Plan = { objects: ObjectPlan[]; keys: Map<string, string> };
/** A journalist's current key, as an operation adds it. */
export type Reader = { id: number; keyId: string; publicKey: string };

// The PKESKs come first, at most 1,106 bytes each: 16 KiB holds a message to 14 RSA-8192 keys;
// a longer header is read again whole (64 KiB is 59 of them), never more.
const PREFIXES = [16 * 1024, 64 * 1024];

/** The header of one stored object (its PKESKs), read from its first bytes only. */
export async function headerOf(blobs: BlobStore, object: StoredObject): Promise<ObjectHeader> {
  for (const length of PREFIXES) {
    const prefix = object.inline ? new Uint8Array(Buffer.from(object.blob, 'base64')) : await blobs.readPrefix(object.blob, length);
    try {
      const { pkesks, sealedAt } = splitHeader(prefix);
      return { ...object, header: prefix.slice(0, sealedAt), keyIds: pkesks.map((p) => p.keyId) };
    } catch (error) {
      if (object.inline || prefix.length < length || length === PREFIXES.at(-1)) throw error;
    }
  }
  throw new Error('unreachable');
}

/**
 * The objects of conversation `sourceId` (complete items and replies) that journalist `viewer`
 * may see, or every one of them (viewer null: a move being applied).
 */
export function conversationObjects(db: Db, sourceId: string, viewer: number | null, items?: readonly string[]): StoredObject[] {
  const seen = (fragment: string) => (viewer === null ? '1' : fragment);
  const subs = db
    .prepare(`SELECT s.id, s.manifest_blob FROM submissions s JOIN sources so ON so.id = s.source_id
      WHERE s.source_id = @source AND s.state = 'complete' AND ${seen(`${canSee('so')} AND ${itemVisible('so', 's')}`)} ORDER BY s.rowid`)
    .all({ source: sourceId, journalist: viewer }) as { id: string; manifest_blob: string }[];
  const chosen = items ? subs.filter((s) => items.includes(s.id)) : subs;
  if (items && chosen.length !== new Set(items).size) throw new NotFoundError(said('staff.error.noSubmission'));
  const out: StoredObject[] = chosen.flatMap((s) => itemObjects(db, s.id, s.manifest_blob));
  if (items) return out;
  const replies = db
    .prepare(`SELECT r.id, r.blob FROM replies r JOIN sources so ON so.id = r.source_id WHERE r.source_id = @source AND ${seen(`${canSee('so')} AND ${replyVisible('so', 'r')}`)} ORDER BY r.rowid`)
    .all({ source: sourceId, journalist: viewer }) as { id: string; blob: string }[];
  const label = prepared(db, 'SELECT label FROM sources WHERE id = ?').pluck().get(sourceId) as string | null | undefined;
  return [...out, ...replies.map((r) => ({ ref: `r:${r.id}`, blob: r.blob, submission: null, reply: r.id })), ...(label ? [labelObject(sourceId, label)] : [])];
}

/** A conversation's label as an object to re-wrap (moved with its conversation, rotated with its key). */
export const labelObject = (sourceId: string, label: string): StoredObject => ({ ref: `l:${sourceId}`, blob: label, submission: null, reply: null, inline: true });

/** An item's manifest, then its parts in order. */
export function itemObjects(db: Db, submissionId: string, manifestBlob: string): StoredObject[] {
  const parts = prepared(db, 'SELECT n, blob FROM parts WHERE submission_id = ? ORDER BY n').all(submissionId) as { n: number; blob: string }[];
  return [
    { ref: `m:${submissionId}`, blob: manifestBlob, submission: submissionId, reply: null },
    ...parts.map((p) => ({ ref: `p:${submissionId}:${p.n}`, blob: p.blob, submission: submissionId, reply: null })),
  ];
}

/** Builds a plan from each object's header: `decide` says what stays and what is added (null: nothing to do). */
export function planOf(headers: ObjectHeader[], readers: readonly Reader[], decide: (h: ObjectHeader) => { keep: Set<string>; add: string[] } | null): Plan {
  const objects: ObjectPlan[] = [];
  for (const h of headers) {
    const d = decide(h);
    // Every object must stay readable by someone: a plan leaving one without any PKESK is a bug.
    if (d && d.keep.size + d.add.length === 0) throw new ConflictError(said('staff.rewrap.nobody'));
    if (d) objects.push({ ...h, ...d });
  }
  if (objects.length === 0) throw new ConflictError(said('staff.rewrap.nothing'));
  const keys = new Map(readers.map((r) => [r.keyId, r.publicKey]));
  return { objects, keys };
}

/** Adds `readers` to every object, keeping every PKESK it has (sharing). */
export const shareDecision =
  (readers: readonly Reader[]) =>
  (h: ObjectHeader): { keep: Set<string>; add: string[] } | null => {
    const add = readers.map((r) => r.keyId).filter((id) => !h.keyIds.includes(id));
    return add.length ? { keep: new Set(h.keyIds), add } : null;
  };

/**
 * Keeps only the PKESKs of `stay` (the new readers' keys, current and retired, and the source's),
 * and adds the new readers' current keys the object lacks (moving, and rotating with `stay` all
 * but the retired keys).
 */
export const replaceDecision =
  (readers: readonly Reader[], stay: (keyId: string) => boolean) =>
  (h: ObjectHeader): { keep: Set<string>; add: string[] } | null => {
    const keep = new Set(h.keyIds.filter(stay));
    const add = readers.map((r) => r.keyId).filter((id) => !keep.has(id));
    return add.length || keep.size !== h.keyIds.length ? { keep, add } : null;
  };
