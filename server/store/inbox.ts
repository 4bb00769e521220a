import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { deleteObjects, deleteSubmissionRows } from './drop.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { conversationBulk } from './bulk.ts';
import { conversationList } from './conversations.ts';

/** What journalists see: the list of conversations (a page at a time), read marks, and deletes. */
export function inboxRepo(db: Db, blobs: BlobStore) {
  const bulk = conversationBulk(db, blobs);
  return {
    /** The list a page at a time (conversations.ts), and actions on many conversations (bulk.ts). */
    page: conversationList(db),
    ...bulk,
    markSeen(submissionId: string, journalistId: number): void {
      db.prepare('INSERT OR IGNORE INTO seen (submission_id, journalist_id) VALUES (?, ?)').run(submissionId, journalistId);
    },
    async deleteSubmission(id: string): Promise<void> {
      const names = db.transaction(() => {
        bulk.sourceOfSubmission(id); // 404 unless it exists and is complete
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
