import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';

/** Every object a row names: manifests, parts and replies (one query, for the sweep and for backups). */
export const NAMED_OBJECTS_SQL = 'SELECT manifest_blob AS b FROM submissions WHERE manifest_blob IS NOT NULL UNION ALL SELECT blob AS b FROM parts UNION ALL SELECT blob AS b FROM replies';

/**
 * Deletes submissions' rows (parts and seen marks go with them by foreign key) and returns the
 * names of their stored objects. Call it inside the caller's transaction, so the checks and other
 * deletions around it commit together, then pass the names to deleteObjects once it has committed.
 */
export function deleteSubmissionRows(db: Db, ids: readonly string[]): string[] {
  const manifestOf = db.prepare('SELECT manifest_blob FROM submissions WHERE id = ?');
  const partsOf = db.prepare('SELECT blob FROM parts WHERE submission_id = ?');
  const remove = db.prepare('DELETE FROM submissions WHERE id = ?');
  const names: string[] = [];
  for (const id of ids) {
    const row = manifestOf.get(id) as { manifest_blob: string | null } | undefined;
    if (row?.manifest_blob) names.push(row.manifest_blob);
    names.push(...(partsOf.all(id) as { blob: string }[]).map((p) => p.blob));
    remove.run(id);
  }
  return names;
}

/**
 * Deletes stored objects whose rows are already gone. Rows go first: a crash in between leaves
 * orphan ciphertext for the start-up sweep, never a row that points at a missing file.
 */
export async function deleteObjects(blobs: BlobStore, names: readonly string[]): Promise<void> {
  await Promise.all(names.map((name) => blobs.delete(name)));
}
