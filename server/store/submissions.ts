import { createHash, randomBytes } from 'node:crypto';
import type { BlobStore } from './blobs.ts';
import { commitGroupOf } from './commit-group.ts';
import type { Db } from './db.ts';
import { daysBefore, today } from './day.ts';
import { deleteObjects, deleteSubmissionRows, NAMED_OBJECTS_SQL } from './drop.ts';
import { ConflictError, IncompleteError, NotFoundError, SourceGoneError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { recordWritten, type WrittenUpload } from './written.ts';
import { prepared } from './statements.ts';

export type SubmissionSummary = { id: string; designation: string; partCount: number; size: number; createdDay: string };
export type SubmissionObjects = { manifest: string; parts: string[] };
/** What a pending JS upload holds (a completed one no longer answers at all). */
export type Received = { manifest: boolean; parts: number[] };

const randomId = (): string => randomBytes(16).toString('hex');
// Only a hash of an upload's secret is kept: the page makes 256 random bits, so SHA-256 suffices.
export const hashOf = (secret: string): string => createHash('sha256').update(secret).digest('hex');
const NO_SUCH = said('error.noSubmission');

type PendingRow = { id: string; part_count: number; state: string; manifest_blob: string | null };

export function submissionRepo(db: Db, blobs: BlobStore) {
  const pending = (id: string): PendingRow => {
    const row = prepared(db, 'SELECT id, part_count, state, manifest_blob FROM submissions WHERE id = ?').get(id) as PendingRow | undefined;
    if (!row) throw new NotFoundError(NO_SUCH);
    if (row.state !== 'pending') throw new ConflictError(said('store.complete'));
    return row;
  };

  /**
   * The pending JS upload `id` whose page made `secret`, in one lookup. Unknown, completed, made
   * without JavaScript, or a wrong secret: the same NotFoundError after the same work, so an id
   * alone (from the inbox, an export or a backup) tells nobody what the drop still holds.
   */
  const held = (id: string, secret: string): { manifest_blob: string | null } => {
    const row = db.prepare("SELECT manifest_blob FROM submissions WHERE id = ? AND upload_hash = ? AND state = 'pending'").get(id, hashOf(secret));
    if (!row) throw new NotFoundError(NO_SUCH);
    return row as { manifest_blob: string | null };
  };

  // Parts and manifests stored at about the same time share one commit (commit-group.ts).
  const group = commitGroupOf(db);

  /**
   * Stores a blob, then records it in a savepoint of the next group commit that re-checks the
   * state; resolves only once that commit is durable, and never leaves a half-state: a refused
   * change or a failed commit deletes the blob.
   */
  const attach = async (id: string, data: Uint8Array, record: (blob: string) => string | null): Promise<void> => {
    const blob = await blobs.put(data);
    let replaced: string | null;
    try {
      replaced = await group.run(() => {
        pending(id);
        return record(blob);
      });
    } catch (error) {
      await blobs.delete(blob);
      throw error;
    }
    if (replaced) await blobs.delete(replaced);
  };

  return {
    /**
     * A pending submission; `resumable: false` (the no-JS path) is dropped at the next start if cut
     * short. Only a JS upload has a `secret` (made by its page), and only with it can it be reached.
     */
    create(sourceId: string, partCount: number, { resumable = true, secret = null as string | null } = {}): string {
      // Sessions are signed tokens, so one can outlive its source; the foreign key would fail later, obscurely.
      if (!prepared(db, 'SELECT 1 FROM sources WHERE id = ?').get(sourceId)) throw new SourceGoneError();
      const id = randomId();
      db.prepare("INSERT INTO submissions (id, source_id, part_count, state, created_day, resumable, upload_hash) VALUES (?, ?, ?, 'pending', ?, ?, ?)").run(
        id, sourceId, partCount, today(), resumable ? 1 : 0, secret === null ? null : hashOf(secret),
      );
      return id;
    },
    async putPart(id: string, n: number, data: Uint8Array): Promise<void> {
      const row = pending(id);
      if (n < 1 || n > row.part_count) throw new ConflictError(said('store.partRange', { n, count: row.part_count }));
      await attach(id, data, (blob) => {
        const old = prepared(db, 'SELECT blob FROM parts WHERE submission_id = ? AND n = ?').get(id, n) as { blob: string } | undefined;
        prepared(db, 'INSERT OR REPLACE INTO parts (submission_id, n, blob, size) VALUES (?, ?, ?, ?)').run(id, n, blob, data.length);
        return old?.blob ?? null;
      });
    },
    async putManifest(id: string, data: Uint8Array): Promise<void> {
      pending(id);
      await attach(id, data, (blob) => {
        const old = pending(id).manifest_blob;
        prepared(db, 'UPDATE submissions SET manifest_blob = ? WHERE id = ?').run(blob, id);
        return old;
      });
    },
    /** Fixes the part count of a submission created before its size was known (the no-JS path). */
    declareParts(id: string, partCount: number): void {
      db.transaction(() => {
        pending(id);
        const over = prepared(db, 'SELECT COUNT(*) AS c FROM parts WHERE submission_id = ? AND n > ?').get(id, partCount) as { c: number };
        if (over.c > 0) throw new ConflictError(said('store.moreParts'));
        prepared(db, 'UPDATE submissions SET part_count = ? WHERE id = ?').run(partCount, id);
      })();
    },
    /** Drops a pending submission and its objects (an upload that broke off). */
    async discard(id: string): Promise<void> {
      const names = db.transaction(() => {
        pending(id);
        return deleteSubmissionRows(db, [id]);
      })();
      await deleteObjects(blobs, names);
    },
    /** Refuses (NotFoundError) anything but the pending JS upload `id` whose page made `secret`. */
    held(id: string, secret: string): void {
      held(id, secret);
    },
    /** What of a pending JS upload has arrived: its page, after a dropped connection, re-sends only the rest. */
    received(id: string, secret: string): Received {
      const row = held(id, secret);
      const parts = prepared(db, 'SELECT n FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { n: number }[];
      return { manifest: row.manifest_blob !== null, parts: parts.map((p) => p.n) };
    },
    /** The stored objects of a pending submission (manifest first, if it has arrived, then parts). */
    pendingObjects(id: string): string[] {
      const row = pending(id);
      const parts = prepared(db, 'SELECT blob FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { blob: string }[];
      return [...(row.manifest_blob ? [row.manifest_blob] : []), ...parts.map((p) => p.blob)];
    },
    /** The stored part sizes of a pending submission whose manifest and every part have arrived. */
    assertArrived(id: string): number[] {
      const row = pending(id);
      const parts = prepared(db, 'SELECT size FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { size: number }[];
      const missing = row.part_count - parts.length;
      if (!row.manifest_blob) throw new IncompleteError(said('store.manifestMissing'));
      if (missing > 0) throw new IncompleteError(said('store.partsMissing', { missing }));
      return parts.map((p) => p.size);
    },
    /**
     * Makes a submission visible to journalists once its manifest and every part have arrived. Its
     * secret's hash stays until the purge after the day after its creation (a whole day at least): a folded send repeated because its answer was
     * lost is then answered "done" instead of opening a duplicate (store/sends.ts). `fingerprints`: the journalist keys the route checked its objects are
     * sealed to (submission_keys; who outside its desk may see it, and what the page names). None
     * (tests of the store alone) leaves them to the next open of the store, which reads the headers.
     * `desk`: the desk whose keys the objects were checked against; refused if the conversation has
     * moved since (its objects would stay sealed to the old desk in a conversation of the new one).
     */
    complete(id: string, fingerprints: readonly string[] = [], desk?: number | null): void {
      db.transaction(() => {
        if (desk !== undefined && (prepared(db, 'SELECT so.desk_id FROM submissions s JOIN sources so ON so.id = s.source_id WHERE s.id = ?').pluck().get(id) ?? null) !== desk) {
          throw new ConflictError(said('store.deskMoved'));
        }
        const size = this.assertArrived(id).reduce((sum, s) => sum + s, 0);
        db.prepare("UPDATE submissions SET state = 'complete', size = ? WHERE id = ?").run(size, id);
        const key = db.prepare('INSERT OR IGNORE INTO submission_keys (submission_id, fingerprint) VALUES (?, ?)');
        for (const fp of fingerprints) key.run(id, fp);
      })();
    },
    /**
     * Completes several submissions at once: all become visible, or none does. `announce` marks the
     * source whose codename is about to be shown, in the same transaction; `fingerprints` as for complete.
     */
    completeAll(ids: string[], announce: string | null = null, fingerprints: readonly string[] = [], desk?: number | null): void {
      db.transaction(() => {
        ids.forEach((id) => this.complete(id, fingerprints, desk));
        if (announce) prepared(db, 'UPDATE sources SET announced = 1 WHERE id = ?').run(announce);
      })();
    },
    /**
     * At start-up, before any listener: drops no-JS uploads a crash cut short (their request is
     * gone, so nothing can finish them) and sources whose codename was never shown.
     */
    async dropCutUploads(): Promise<number> {
      const names = db.transaction(() => {
        const ids = db.prepare("SELECT id FROM submissions WHERE state = 'pending' AND (resumable = 0 OR source_id IN (SELECT id FROM sources WHERE announced = 0))").all() as { id: string }[];
        const doomed = deleteSubmissionRows(db, ids.map((r) => r.id));
        prepared(db, 'DELETE FROM sources WHERE announced = 0 AND id NOT IN (SELECT source_id FROM submissions)').run();
        return doomed;
      })();
      await deleteObjects(blobs, names);
      return names.length;
    },
    discardSourceIfEmpty(sourceId: string): void {
      prepared(db, 'DELETE FROM sources WHERE id = ? AND NOT EXISTS (SELECT 1 FROM submissions WHERE source_id = ?)').run(sourceId, sourceId);
    },
    /** What a source sent, oldest first, and whether any journalist opened each (the seen table): nothing new is stored. */
    sentBy(sourceId: string): { id: string; day: string; size: number; opened: boolean; manifest: string }[] {
      return (db
        .prepare(
          `SELECT s.id, s.created_day AS day, s.size, EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id) AS opened, s.manifest_blob AS manifest
           FROM submissions s WHERE s.source_id = ? AND s.state = 'complete' ORDER BY s.created_day, s.rowid`,
        )
        .all(sourceId) as { id: string; day: string; size: number; opened: number; manifest: string }[]).map((r) => ({ ...r, opened: r.opened === 1 }));
    },
    /** A complete item's parts (blob and stored size, in order) and how many keys it is sealed to (submission_keys). */
    sizedParts(id: string): { parts: { blob: string; size: number }[]; keys: number } {
      const parts = prepared(db, 'SELECT blob, size FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { blob: string; size: number }[];
      const keys = prepared(db, 'SELECT COUNT(*) FROM submission_keys WHERE submission_id = ?').pluck().get(id) as number;
      return { parts, keys };
    },
    /** The source of a pending upload: its manifest is sealed to the source's own key too (issue 25). */
    sourceOfPending(id: string): string {
      const row = db.prepare("SELECT source_id FROM submissions WHERE id = ? AND state = 'pending'").get(id) as { source_id: string } | undefined;
      if (!row) throw new NotFoundError(NO_SUCH);
      return row.source_id;
    },
    listComplete(): SubmissionSummary[] {
      return db
        .prepare(
          `SELECT s.id, so.designation, s.part_count AS partCount, s.size, s.created_day AS createdDay
           FROM submissions s JOIN sources so ON so.id = s.source_id WHERE s.state = 'complete'
           ORDER BY s.created_day DESC, so.designation, s.id`,
        )
        .all() as SubmissionSummary[];
    },
    objects(id: string): SubmissionObjects {
      const row = db.prepare("SELECT manifest_blob FROM submissions WHERE id = ? AND state = 'complete'").get(id) as { manifest_blob: string } | undefined;
      if (!row) throw new NotFoundError(said('staff.error.noSubmission'));
      const parts = prepared(db, 'SELECT blob FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { blob: string }[];
      return { manifest: row.manifest_blob, parts: parts.map((p) => p.blob) };
    },
    /** Drops abandoned uploads (pending since before yesterday) and, if set, submissions past retention. */
    async purge(retentionDays: number | null, day: string = today()): Promise<number> {
      const doomed = db.transaction(() => {
        const cutoffPending = daysBefore(day, 1);
        const ids = db.prepare("SELECT id FROM submissions WHERE state = 'pending' AND created_day < ?").all(cutoffPending) as { id: string }[];
        const names: string[] = [];
        if (retentionDays !== null) {
          const cutoff = daysBefore(day, retentionDays);
          ids.push(...(prepared(db, 'SELECT id FROM submissions WHERE created_day < ?').all(cutoff) as { id: string }[]));
          names.push(...(prepared(db, 'SELECT blob FROM replies WHERE created_day < ?').all(cutoff) as { blob: string }[]).map((r) => r.blob));
          prepared(db, 'DELETE FROM replies WHERE created_day < ?').run(cutoff);
        }
        names.push(...deleteSubmissionRows(db, ids.map((r) => r.id)));
        // A completed upload's secret hash was kept for repeats whose answer was lost (complete): a whole day at
        // least, so that an item opened just before midnight still answers "done" the next day.
        db.prepare("UPDATE submissions SET upload_hash = NULL WHERE state = 'complete' AND upload_hash IS NOT NULL AND created_day < ?").run(daysBefore(day, 1));
        // A source that never sent anything (an abandoned first visit) goes too; one with replies stays.
        prepared(db, 'DELETE FROM sources WHERE created_day < ? AND id NOT IN (SELECT source_id FROM submissions) AND id NOT IN (SELECT source_id FROM replies)').run(daysBefore(day, 1));
        return names;
      })();
      await deleteObjects(blobs, doomed);
      return doomed.length;
    },
    /** Every object a row names: manifests, parts and replies. */
    namedObjects(): string[] {
      return (db.prepare(NAMED_OBJECTS_SQL).all() as { b: string }[]).map((r) => r.b);
    },
    /** Removes stored objects no row refers to (left by a crash between write and record). */
    async sweepOrphans(): Promise<number> {
      // List first: a blob stored and recorded between the query and the listing would be swept as an orphan.
      const stored = await blobs.list();
      const known = new Set(this.namedObjects());
      const orphans = stored.filter((name) => !known.has(name));
      for (const name of orphans) await blobs.delete(name);
      return orphans.length;
    },
    /**
     * Completes no-JS uploads whose objects were written but not recorded (store/written.ts): their
     * rows go in with the completion, in one transaction; then as completeAll.
     */
    completeWritten(uploads: readonly WrittenUpload[], announce: string | null = null, fingerprints: readonly string[] = [], desk?: number | null): void {
      db.transaction(() => {
        recordWritten(db, uploads);
        this.completeAll(uploads.map((u) => u.id), announce, fingerprints, desk);
      })();
    },
  };
}
export type SubmissionRepo = ReturnType<typeof submissionRepo>;
