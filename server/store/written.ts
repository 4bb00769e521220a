import type { Db } from './db.ts';
import { ConflictError } from './errors.ts';
import { said } from '../i18n/said.ts';

/** One part of a no-JS upload: its object is written and fsynced, its row not yet recorded. */
export type WrittenPart = { n: number; blob: string; size: number };
/** A no-JS upload whose parts and manifest are all written (nojs/seal-stream.ts), waiting to be completed. */
export type WrittenUpload = { id: string; parts: readonly WrittenPart[]; manifest: string };

/**
 * Records written no-JS uploads' parts and manifests; called inside the completing transaction.
 * Nothing of a no-JS upload is visible before it completes and a cut one is dropped at the next
 * start (dropCutUploads), so a commit per part bought nothing there and held the event loop 9–28
 * ms a part. A crash before this commit leaves only unnamed objects, swept at start (sweepOrphans).
 */
export function recordWritten(db: Db, uploads: readonly WrittenUpload[]): void {
  const head = db.prepare("UPDATE submissions SET part_count = ?, manifest_blob = ? WHERE id = ? AND state = 'pending' AND resumable = 0 AND manifest_blob IS NULL");
  const part = db.prepare('INSERT INTO parts (submission_id, n, blob, size) VALUES (?, ?, ?, ?)');
  for (const upload of uploads) {
    if (head.run(upload.parts.length, upload.manifest, upload.id).changes !== 1) throw new ConflictError(said('store.complete'));
    upload.parts.forEach((p, i) => {
      if (p.n !== i + 1) throw new ConflictError(said('store.partRange', { n: p.n, count: upload.parts.length }));
      part.run(upload.id, p.n, p.blob, p.size);
    });
  }
}
