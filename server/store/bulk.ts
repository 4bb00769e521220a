import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { deleteObjects, deleteSubmissionRows } from './drop.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';

export const BULK_ACTIONS = ['star', 'unstar', 'done', 'reopen', 'read', 'unread', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** What a confirmation names of one conversation: its designation, label ciphertext and item count. */
export type ConversationSummary = { id: string; designation: string; label: string | null; items: number };

// The ids travel as one JSON array parameter: one statement for any number of them.
const IDS = '(SELECT value FROM json_each(@ids))';
const COMPLETE_OF = `SELECT id FROM submissions WHERE source_id IN ${IDS} AND state = 'complete'`;
const CHANGE: Record<Exclude<BulkAction, 'delete'>, string> = {
  star: `UPDATE sources SET starred = 1 WHERE id IN ${IDS}`,
  unstar: `UPDATE sources SET starred = 0 WHERE id IN ${IDS}`,
  done: `UPDATE sources SET done = 1 WHERE id IN ${IDS}`,
  reopen: `UPDATE sources SET done = 0 WHERE id IN ${IDS}`,
  // Read and unread are this journalist's own: they mark or unmark every complete submission opened.
  read: `INSERT OR IGNORE INTO seen (submission_id, journalist_id) SELECT id, @journalist FROM (${COMPLETE_OF})`,
  unread: `DELETE FROM seen WHERE journalist_id = @journalist AND submission_id IN (${COMPLETE_OF})`,
};

/** Actions on many conversations at once: all of them or, if one id is unknown, none. */
export function conversationBulk(db: Db, blobs: BlobStore) {
  const summaryOf = db.prepare(
    "SELECT so.id, so.designation, so.label, (SELECT count(*) FROM submissions s WHERE s.source_id = so.id AND s.state = 'complete') AS items FROM sources so WHERE so.id = ?",
  );
  const summaries = (ids: readonly string[]): ConversationSummary[] =>
    [...new Set(ids)].map((id) => {
      const row = summaryOf.get(id) as ConversationSummary | undefined;
      if (!row) throw new NotFoundError(said('staff.error.noSource'));
      return row;
    });
  const change = new Map(Object.entries(CHANGE).map(([action, sql]) => [action, db.prepare(sql)]));

  return {
    /** The conversations named, in the order given; a 404 if any does not exist. */
    summaries,
    /** Star, done, read... on every id given, in one transaction; nothing changes if one is unknown. */
    apply(action: Exclude<BulkAction, 'delete'>, ids: readonly string[], journalistId: number): number {
      return db.transaction(() => {
        const found = summaries(ids);
        change.get(action)!.run({ ids: JSON.stringify(found.map((s) => s.id)), journalist: journalistId });
        return found.length;
      })();
    },
    /** Deletes the conversations (submissions, replies, stored objects); what went, for the notice. */
    async remove(ids: readonly string[]): Promise<ConversationSummary[]> {
      const { gone, names } = db.transaction(() => {
        const gone = summaries(ids);
        const json = JSON.stringify(gone.map((s) => s.id));
        const submissions = (db.prepare(`SELECT id FROM submissions WHERE source_id IN ${IDS}`).all({ ids: json }) as { id: string }[]).map((r) => r.id);
        const replies = (db.prepare(`SELECT blob FROM replies WHERE source_id IN ${IDS}`).all({ ids: json }) as { blob: string }[]).map((r) => r.blob);
        const names = [...deleteSubmissionRows(db, submissions), ...replies];
        db.prepare(`DELETE FROM sources WHERE id IN ${IDS}`).run({ ids: json });
        return { gone, names };
      })();
      await deleteObjects(blobs, names);
      return gone;
    },
    /** Every labelled conversation: the page decrypts and filters them (the server cannot). */
    labels(): { id: string; designation: string; label: string }[] {
      return db.prepare('SELECT id, designation, label FROM sources WHERE label IS NOT NULL ORDER BY designation').all() as { id: string; designation: string; label: string }[];
    },
    /** The conversation a submission belongs to (for its delete confirmation); a 404 if none. */
    sourceOfSubmission(submissionId: string): string {
      const row = db.prepare("SELECT source_id FROM submissions WHERE id = ? AND state = 'complete'").get(submissionId) as { source_id: string } | undefined;
      if (!row) throw new NotFoundError(said('staff.error.noSubmission'));
      return row.source_id;
    },
  };
}
