import { randomBytes } from 'node:crypto';
import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { today } from './day.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

export type Reply = { id: string; size: number; createdDay: string; read: boolean };

/** Journalists' replies to a source: ciphertext to the source's key and every journalist key. */
export function replyRepo(db: Db, blobs: BlobStore) {
  const row = (id: string, sourceId: string) => {
    const r = prepared(db, 'SELECT blob, read FROM replies WHERE id = ? AND source_id = ?').get(id, sourceId) as { blob: string; read: number } | undefined;
    if (!r) throw new NotFoundError(said('error.noReply'));
    return r;
  };
  return {
    /**
     * `journalistId`: who wrote it (null when not known, as for replies stored before authors were
     * kept). `sealedTo`: the fingerprints the route checked it is addressed to, and "source"; none
     * leaves it to the next open of the store, which reads them from the reply's header (sealed-to.ts).
     */
    async add(sourceId: string, data: Uint8Array, journalistId: number | null = null, sealedTo: readonly string[] = [], desk?: number | null): Promise<string> {
      const id = randomBytes(16).toString('hex');
      const blob = await blobs.put(data);
      try {
        db.transaction(() => {
          // `desk`: the desk whose keys the reply was checked against; a conversation moved since refuses it (it would stay sealed to the old desk).
          const row = prepared(db, 'SELECT desk_id FROM sources WHERE id = ?').get(sourceId) as { desk_id: number | null } | undefined;
          if (row && desk !== undefined && row.desk_id !== desk) throw new ConflictError(said('staff.rewrap.changed'));
          prepared(db, 'INSERT INTO replies (id, source_id, blob, size, created_day, journalist_id, sealed_to) VALUES (?, ?, ?, ?, ?, ?, ?)').run(
            id, sourceId, blob, data.length, today(), journalistId, sealedTo.length ? JSON.stringify(sealedTo) : null,
          );
        })();
      } catch (error) {
        await blobs.delete(blob);
        throw error instanceof ConflictError ? error : new NotFoundError(said('staff.error.noSource'));
      }
      return id;
    },
    list(sourceId: string): Reply[] {
      const rows = prepared(db, 'SELECT id, size, created_day, read FROM replies WHERE source_id = ? ORDER BY rowid').all(sourceId) as { id: string; size: number; created_day: string; read: number }[];
      return rows.map((r) => ({ id: r.id, size: r.size, createdDay: r.created_day, read: r.read === 1 }));
    },
    blobOf: (id: string, sourceId: string): string => row(id, sourceId).blob,
    /** For journalists; the route has checked this one may see it (access.ts). */
    blobById(id: string): string {
      const r = prepared(db, 'SELECT blob FROM replies WHERE id = ?').get(id) as { blob: string } | undefined;
      if (!r) throw new NotFoundError(said('error.noReply'));
      return r.blob;
    },
    markRead(id: string, sourceId: string): void {
      row(id, sourceId);
      prepared(db, 'UPDATE replies SET read = 1 WHERE id = ?').run(id);
    },
    /** Sources may delete replies they have read (so that one is never lost unseen). */
    async delete(id: string, sourceId: string): Promise<void> {
      const r = row(id, sourceId);
      if (r.read !== 1) throw new ConflictError(said('store.readFirst'));
      prepared(db, 'DELETE FROM replies WHERE id = ?').run(id);
      await blobs.delete(r.blob);
    },
    blobsOfSource: (sourceId: string): string[] =>
      (prepared(db, 'SELECT blob FROM replies WHERE source_id = ?').all(sourceId) as { blob: string }[]).map((r) => r.blob),
  };
}
export type ReplyRepo = ReturnType<typeof replyRepo>;
