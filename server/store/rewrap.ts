import { createHash } from 'node:crypto';
import { readAddedPackets, readObjectHeaders, rewrapObject } from '../../common/envelope/index.ts';
import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { canSee, readsWhole } from './access.ts';
import { ConflictError, InvalidInputError } from './errors.ts';
import {
  conversationObjects, headerOf, itemObjects, labelObject, planOf, replaceDecision, shareDecision, type ObjectHeader, type ObjectPlan, type Plan, type Reader,
} from './rewrap-plan.ts';
import { keyIdOwners } from './sealed-to.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

// Sharing, moving and key rotation by re-wrapping (docs/desks.md). The page uploads, per object,
// only the PKESKs it adds; this writes each new object (the PKESKs that stay, byte for byte, the
// added ones, the same bulk) as a new file (temp, fsync, rename, by the blob store), swaps every
// pointer and the sealed-to rows in ONE transaction, and only then unlinks the old files. A crash
// before the commit leaves the new files as orphans (swept at start-up), after it the old ones:
// every object stays readable at every moment.

/** One object re-wrapped in the page: its ref and the PKESKs it adds, base64. */
export type RewrapObject = { ref: string; add: string };
export type { Plan, ObjectPlan } from './rewrap-plan.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
type Swap = { plan: ObjectPlan; blob: string; size: number; keyIds: string[] };

export function rewrapRepo(db: Db, blobs: BlobStore) {
  const readersWhere = (where: string, params: Record<string, unknown>): Reader[] =>
    prepared(db, `SELECT id, lower(recipient_key_id) AS keyId, public_key AS publicKey FROM journalists j WHERE j.active = 1 AND ${where} ORDER BY j.id`).all(params) as Reader[];
  // One file open at a time: a conversation may hold thousands of parts.
  const headersOf = async (objects: ReturnType<typeof conversationObjects>): Promise<ObjectHeader[]> => {
    const out: ObjectHeader[] = [];
    for (const o of objects) out.push(await headerOf(blobs, o));
    return out;
  };

  const repo = {
    /** The PKESK bytes of every object of the conversation the journalist may see. */
    async headers(sourceId: string, journalistId: number): Promise<ObjectHeader[]> {
      return headersOf(conversationObjects(db, sourceId, journalistId));
    },
    /** Items of a conversation, given to journalists (their current keys): every PKESK stays. */
    async planShare(sourceId: string, journalistId: number, items: readonly string[], to: readonly number[]): Promise<Plan> {
      const readers = readersWhere('j.id IN (SELECT value FROM json_each(@ids))', { ids: JSON.stringify(to) });
      if (readers.length === 0) throw new ConflictError(said('staff.rewrap.noReaders'));
      return planOf(await headersOf(conversationObjects(db, sourceId, journalistId, items)), readers, shareDecision(readers));
    },
    /**
     * A whole conversation to a desk (null: the whole newsroom): its readers' keys (current and
     * retired) and the source's stay, their current keys are added, every other PKESK goes.
     * `viewer`: the journalist asking, who must read all of it; null when a confirmed move is applied.
     */
    async planMove(sourceId: string, toDeskId: number | null, viewer: number | null): Promise<Plan> {
      if (viewer !== null && !readsWhole(db, sourceId, viewer)) throw new ConflictError(said('staff.rewrap.notWhole'));
      const readers = readersWhere('(@desk IS NULL OR j.id IN (SELECT journalist_id FROM desk_members WHERE desk_id = @desk))', { desk: toDeskId });
      if (readers.length === 0) throw new ConflictError(said('staff.rewrap.noReaders'));
      // Every key ID of the readers' keys, current and retired (not only the recorded recipient subkey).
      const ids = new Set(readers.map((r) => r.id));
      const stay = new Set(readers.map((r) => r.keyId));
      for (const [id, owner] of keyIdOwners(db)) if (ids.has(owner.journalistId)) stay.add(id);
      // The source's own key opens its replies and manifests (what it sent, what it was sent): it always stays.
      const sourceKey = prepared(db, 'SELECT lower(recipient_key_id) FROM sources WHERE id = ?').pluck().get(sourceId) as string | null | undefined;
      if (sourceKey) stay.add(sourceKey);
      return planOf(await headersOf(conversationObjects(db, sourceId, null)), readers, replaceDecision(readers, (id) => stay.has(id)));
    },
    /** Everything sealed to the journalist's retired keys: their current key added, the retired keys' PKESKs dropped. */
    async planRotate(journalistId: number): Promise<Plan> {
      // Every key ID of my retired keys that no other key claims (keyIdOwners): never a colleague's PKESK.
      const retired = new Set([...keyIdOwners(db)].filter(([, o]) => o.retired && o.journalistId === journalistId).map(([id]) => id));
      const readers = readersWhere('j.id = @id', { id: journalistId });
      if (retired.size === 0 || readers.length === 0) throw new ConflictError(said('staff.rewrap.nothing'));
      const mine = 'SELECT fingerprint FROM retired_keys WHERE journalist_id = @id';
      const items = db.prepare(`SELECT s.id, s.manifest_blob FROM submissions s WHERE s.state = 'complete' AND s.id IN (SELECT submission_id FROM submission_keys WHERE fingerprint IN (${mine})) ORDER BY s.rowid`).all({ id: journalistId }) as { id: string; manifest_blob: string }[];
      const replies = prepared(db, `SELECT r.id, r.blob FROM replies r WHERE EXISTS (SELECT 1 FROM json_each(r.sealed_to) e WHERE e.value IN (${mine})) ORDER BY r.rowid`).all({ id: journalistId }) as { id: string; blob: string }[];
      // Labels record no keys: each one's header (a few hundred bytes, in its row) says whether it is sealed to a retired key.
      const labels = (db.prepare(`SELECT so.id, so.label FROM sources so WHERE so.label IS NOT NULL AND ${canSee('so')}`).all({ journalist: journalistId }) as { id: string; label: string }[]).map((r) => labelObject(r.id, r.label));
      const objects = [...items.flatMap((s) => itemObjects(db, s.id, s.manifest_blob)), ...replies.map((r) => ({ ref: `r:${r.id}`, blob: r.blob, submission: null, reply: r.id }))];
      const sealedToRetired: ObjectHeader[] = [];
      for (const l of labels) {
        const h = await headerOf(blobs, l).catch(() => null); // an unreadable label is left as it is
        if (h?.keyIds.some((id) => retired.has(id))) sealedToRetired.push(h);
      }
      return planOf([...(await headersOf(objects)), ...sealedToRetired], readers, replaceDecision(readers, (id) => !retired.has(id)));
    },
    /** Writes the new objects, then swaps pointers and sealed-to rows and runs `finish` (its audit entry) in one transaction. */
    /** `unchanged`: runs first in the transaction and throws if what was planned against has changed since (a move). */
    async apply(plan: Plan, uploaded: readonly RewrapObject[], finish: () => void, unchanged: () => void = () => undefined): Promise<void> {
      const added = matchUploads(plan, uploaded);
      const written: string[] = [];
      try {
        const swaps: Swap[] = [];
        for (const o of plan.objects) {
          const next = rewrapObject(o.inline ? new Uint8Array(Buffer.from(o.blob, 'base64')) : await blobs.read(o.blob), o.keep, added.get(o.ref)!);
          const keyIds = readObjectHeaders(next).recipientKeyIds;
          const blob = o.inline ? Buffer.from(next).toString('base64') : await blobs.put(next);
          if (!o.inline) written.push(blob);
          swaps.push({ plan: o, blob, size: next.length, keyIds });
        }
        const others = await untouchedOfItems(plan);
        db.transaction(() => {
          unchanged();
          for (const s of swaps) swapPointer(db, s);
          recordSealedTo(db, swaps, others);
          finish();
        }).immediate();
      } catch (error) {
        for (const blob of written) await blobs.delete(blob);
        throw error;
      }
      for (const o of plan.objects) if (!o.inline) await blobs.delete(o.blob);
    },
  };

  /** The ChangeHooks.move of store/changes.ts: a move applied (at once, or when confirmed) re-wraps against the objects as they are then. */
  // The packets were checked when the move was asked for: a mismatch now means the conversation changed since.
  // The conversation as planned (its desk, every complete item's and reply's objects and the label) must be
  // the one the transaction moves: an item completed or a reply posted meanwhile is sealed to the old desk.
  // A held move also carries the hash of each header its packets were checked against (`planned`):
  // a label rewritten meanwhile keeps its ref but has a new session key the packets do not wrap.
  const move = async (payload: { sourceId: string; toDeskId: number | null; objects: RewrapObject[]; planned?: Record<string, string> }, finish: () => void): Promise<void> => {
    const state = conversationState(payload.sourceId); // read in the same tick as planMove's rows
    const unchanged = () => {
      if (conversationState(payload.sourceId) !== state) throw new ConflictError(said('staff.rewrap.changed'));
    };
    const apply = async () => {
      const plan = await repo.planMove(payload.sourceId, payload.toDeskId, null);
      if (payload.planned && plan.objects.some((o) => payload.planned![o.ref] !== headerHash(o.header))) throw new ConflictError(said('staff.rewrap.changed'));
      return repo.apply(plan, payload.objects, finish, unchanged);
    };
    return apply().catch((error: unknown) => {
      throw error instanceof InvalidInputError ? new ConflictError(said('staff.rewrap.changed')) : error;
    });
  };
  /** ChangeHooks.planned: each object's header hash by ref, as a held move records them. */
  const planned = async (sourceId: string): Promise<Record<string, string>> =>
    Object.fromEntries((await headersOf(conversationObjects(db, sourceId, null))).map((h) => [h.ref, headerHash(h.header)]));
  const conversationState = (sourceId: string): string =>
    JSON.stringify([prepared(db, 'SELECT desk_id FROM sources WHERE id = ?').pluck().get(sourceId) ?? null, conversationObjects(db, sourceId, null).map((o) => [o.ref, o.blob])]);

  /** The other objects of each item the plan touches: their key IDs count in the item's sealed-to rows. */
  async function untouchedOfItems(plan: Plan): Promise<ObjectHeader[]> {
    const refs = new Set(plan.objects.map((o) => o.ref));
    const items = [...new Set(plan.objects.flatMap((o) => (o.submission ? [o.submission] : [])))];
    const rows = items.map((id) => ({ id, manifest: prepared(db, 'SELECT manifest_blob FROM submissions WHERE id = ?').pluck().get(id) as string }));
    return headersOf(rows.flatMap((r) => itemObjects(db, r.id, r.manifest)).filter((o) => !refs.has(o.ref)));
  }
  return { ...repo, move, planned, check: (plan: Plan, uploaded: readonly RewrapObject[]): void => void matchUploads(plan, uploaded) };
}
export type RewrapRepo = ReturnType<typeof rewrapRepo>;

const headerHash = (header: Uint8Array): string => createHash('sha256').update(header).digest('hex').slice(0, 32);

/** The uploaded PKESKs by ref: exactly the plan's objects, each adding exactly the keys its plan adds. */
function matchUploads(plan: Plan, uploaded: readonly RewrapObject[]): Map<string, Uint8Array> {
  const refs = new Set(uploaded.map((u) => u.ref));
  if (refs.size !== uploaded.length || refs.size !== plan.objects.length || plan.objects.some((o) => !refs.has(o.ref))) {
    throw new ConflictError(said('staff.rewrap.changed'));
  }
  const out = new Map<string, Uint8Array>();
  for (const o of plan.objects) {
    const text = uploaded.find((u) => u.ref === o.ref)!.add;
    if (!BASE64.test(text)) throw new InvalidInputError(said('staff.rewrap.notBase64'));
    const bytes = new Uint8Array(Buffer.from(text, 'base64'));
    const named = readAddedPackets(bytes).map((p) => p.keyId);
    if (named.length !== o.add.length || new Set(named).size !== named.length || named.some((id) => !o.add.includes(id))) {
      throw new InvalidInputError(said('staff.rewrap.wrongKeys'));
    }
    out.set(o.ref, bytes);
  }
  return out;
}

/** One pointer, swapped only if it still names the file the plan read (else the conversation changed). */
function swapPointer(db: Db, { plan, blob, size }: Swap): void {
  const [kind, id, n] = plan.ref.split(':');
  const result =
    kind === 'm'
      ? db.prepare("UPDATE submissions SET manifest_blob = ? WHERE id = ? AND manifest_blob = ? AND state = 'complete'").run(blob, id, plan.blob)
      : kind === 'p'
        ? prepared(db, 'UPDATE parts SET blob = ?, size = ? WHERE submission_id = ? AND n = ? AND blob = ?').run(blob, size, id, Number(n), plan.blob)
        : kind === 'r'
          ? prepared(db, 'UPDATE replies SET blob = ?, size = ? WHERE id = ? AND blob = ?').run(blob, size, id, plan.blob)
          : prepared(db, 'UPDATE sources SET label = ? WHERE id = ? AND label = ?').run(blob, id, plan.blob);
  if (result.changes !== 1) throw new ConflictError(said('staff.rewrap.changed'));
  if (kind === 'p') prepared(db, 'UPDATE submissions SET size = (SELECT SUM(size) FROM parts WHERE submission_id = ?) WHERE id = ?').run(id, id);
}

/** submission_keys and replies.sealed_to from the new headers (key IDs mapped to fingerprints, as the backfill does). */
function recordSealedTo(db: Db, swaps: Swap[], others: ObjectHeader[]): void {
  const owners = keyIdOwners(db);
  const fingerprintOf = (id: string) => owners.get(id)?.fingerprint ?? `unknown:${id}`;
  const sourceKey = db.prepare('SELECT so.recipient_key_id FROM sources so WHERE so.id = (SELECT source_id FROM submissions WHERE id = @item UNION ALL SELECT source_id FROM replies WHERE id = @reply)').pluck();
  const sourceKeyOf = (item: string | null, reply: string | null) => (sourceKey.get({ item, reply }) as string | null | undefined)?.toLowerCase();
  const byItem = new Map<string, Set<string>>();
  for (const { submission, keyIds } of [...swaps.map((s) => ({ submission: s.plan.submission, keyIds: s.keyIds })), ...others]) {
    if (!submission) continue;
    const set = byItem.get(submission) ?? byItem.set(submission, new Set()).get(submission)!;
    // The source's own key (a manifest is sealed to it too) is no journalist's: left out, as sealed-to.ts does.
    const source = sourceKeyOf(submission, null);
    for (const id of keyIds) if (id !== source) set.add(fingerprintOf(id));
  }
  for (const [id, fps] of byItem) {
    prepared(db, 'DELETE FROM submission_keys WHERE submission_id = ?').run(id);
    for (const fp of fps) prepared(db, 'INSERT INTO submission_keys (submission_id, fingerprint) VALUES (?, ?)').run(id, fp);
  }
  for (const s of swaps.filter((x) => x.plan.reply)) {
    const source = sourceKeyOf(null, s.plan.reply);
    const fps = [...new Set(s.keyIds.map((id) => (id === source ? 'source' : fingerprintOf(id))))];
    prepared(db, 'UPDATE replies SET sealed_to = ? WHERE id = ?').run(JSON.stringify(fps), s.plan.reply);
  }
}
