import type { AccessRepo } from './access.ts';
import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { deleteObjects, deleteSubmissionRows } from './drop.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { conversationBulk } from './bulk.ts';
import { conversationList } from './conversations.ts';
import { prepared } from './statements.ts';

/** What journalists see: the list of conversations (a page at a time), read marks, and deletes. */
export function inboxRepo(db: Db, blobs: BlobStore, access: AccessRepo) {
  const bulk = conversationBulk(db, blobs, access);
  return {
    /** The list a page at a time (conversations.ts), and actions on many conversations (bulk.ts). */
    page: conversationList(db),
    ...bulk,
    /** Marks an item opened; the route has checked the journalist may see it (bulk.sourceOfSubmission). */
    markSeen(submissionId: string, journalistId: number): void {
      prepared(db, 'INSERT OR IGNORE INTO seen (submission_id, journalist_id) VALUES (?, ?)').run(submissionId, journalistId);
    },
    /** One item; with `journalistId`, only one they may see (else the same 404 as an unknown id). */
    async deleteSubmission(id: string, journalistId: number | null = null): Promise<void> {
      const names = db.transaction(() => {
        if (journalistId !== null) bulk.sourceOfSubmission(id, journalistId);
        else if (!db.prepare("SELECT 1 FROM submissions WHERE id = ? AND state = 'complete'").get(id)) throw new NotFoundError(said('staff.error.noSubmission'));
        return deleteSubmissionRows(db, [id]);
      })();
      await deleteObjects(blobs, names);
    },
    /** A whole conversation: its submissions, replies and their stored objects, and the source row. */
    async deleteSource(sourceId: string): Promise<void> {
      await bulk.remove([sourceId]);
    },
  };
}
export type InboxRepo = ReturnType<typeof inboxRepo>;
