import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { deleteObjects, deleteSubmissionRows } from './drop.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { canSee, itemVisible, memberOf, type AccessRepo } from './access.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

export const BULK_ACTIONS = ['star', 'unstar', 'done', 'reopen', 'read', 'unread', 'delete'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** What a confirmation names of one conversation: its designation, label ciphertext and item count. */
export type ConversationSummary = { id: string; designation: string; label: string | null; items: number };

// The ids travel as one JSON array parameter: one statement for any number of them.
const IDS = '(SELECT value FROM json_each(@ids))';
// Read marks go on the items this journalist may see, never on another desk's (a source is shown what was opened).
const COMPLETE_OF = `SELECT s.id FROM submissions s JOIN sources so ON so.id = s.source_id
  WHERE s.source_id IN ${IDS} AND s.state = 'complete' AND ${itemVisible('so', 's')}`;
const CHANGE: Record<Exclude<BulkAction, 'delete'>, string> = {
  star: `UPDATE sources SET starred = 1 WHERE id IN ${IDS}`,
  unstar: `UPDATE sources SET starred = 0 WHERE id IN ${IDS}`,
  done: `UPDATE sources SET done = 1 WHERE id IN ${IDS}`,
  reopen: `UPDATE sources SET done = 0 WHERE id IN ${IDS}`,
  // Read and unread are this journalist's own: they mark or unmark every complete submission opened.
  read: `INSERT OR IGNORE INTO seen (submission_id, journalist_id) SELECT id, @journalist FROM (${COMPLETE_OF})`,
  unread: `DELETE FROM seen WHERE journalist_id = @journalist AND submission_id IN (${COMPLETE_OF})`,
};

/**
 * Actions on many conversations at once: all of them or, if one id is unknown, none. A conversation
 * the journalist may not see (access.ts) is unknown to them.
 */
export function conversationBulk(db: Db, blobs: BlobStore, access: AccessRepo) {
  const summaryOf = db.prepare(
    `SELECT so.id, so.designation, so.label, ${memberOf('so')} AS member,
       (SELECT count(*) FROM submissions s WHERE s.source_id = so.id AND s.state = 'complete' AND ${itemVisible('so', 's')}) AS items
     FROM sources so WHERE so.id = @id AND so.announced = 1 AND ${canSee('so')}`,
  );
  // Without a journalist (the store's own callers), every conversation, as its members see it.
  const anyOf = db.prepare("SELECT so.id, so.designation, so.label, 1 AS member, (SELECT count(*) FROM submissions s WHERE s.source_id = so.id AND s.state = 'complete') AS items FROM sources so WHERE so.id = @id");
  const rowsOf = (ids: readonly string[], journalistId: number | null): (ConversationSummary & { member: number })[] =>
    [...new Set(ids)].map((id) => {
      const row = (journalistId === null ? anyOf.get({ id }) : summaryOf.get({ id, journalist: journalistId })) as (ConversationSummary & { member: number }) | undefined;
      if (!row) throw new NotFoundError(said('staff.error.noSource'));
      return row;
    });
  const summaries = (ids: readonly string[], journalistId: number): ConversationSummary[] =>
    rowsOf(ids, journalistId).map(({ member: _, ...summary }) => summary);
  const change = new Map(Object.entries(CHANGE).map(([action, sql]) => [action, db.prepare(sql)]));

  return {
    /** The conversations named, in the order given; a 404 if any does not exist or is not the journalist's to see. */
    summaries,
    /** Star, done, read... on every id given, in one transaction; nothing changes if one is unknown. */
    apply(action: Exclude<BulkAction, 'delete'>, ids: readonly string[], journalistId: number): number {
      return db.transaction(() => {
        const found = summaries(ids, journalistId);
        change.get(action)!.run({ ids: JSON.stringify(found.map((s) => s.id)), journalist: journalistId });
        return found.length;
      })();
    },
    /**
     * Deletes the conversations (submissions, replies, stored objects); what went, for the notice.
     * Only a member of a conversation's desk deletes it whole: a journalist shown one shared item
     * would otherwise delete what they cannot read (a 409 that says so). `journalistId` null: the
     * store's own callers (no journalist asks).
     */
    async remove(ids: readonly string[], journalistId: number | null = null): Promise<ConversationSummary[]> {
      const { gone, names } = db.transaction(() => {
        const rows = rowsOf(ids, journalistId);
        if (rows.some((s) => s.member !== 1)) throw new ConflictError(said('staff.sealed.deleteNotMember'));
        const gone = rows.map(({ member: _, ...summary }): ConversationSummary => summary);
        const json = JSON.stringify(gone.map((s) => s.id));
        const submissions = (prepared(db, `SELECT id FROM submissions WHERE source_id IN ${IDS}`).all({ ids: json }) as { id: string }[]).map((r) => r.id);
        const replies = (prepared(db, `SELECT blob FROM replies WHERE source_id IN ${IDS}`).all({ ids: json }) as { blob: string }[]).map((r) => r.blob);
        const names = [...deleteSubmissionRows(db, submissions), ...replies];
        prepared(db, `DELETE FROM sources WHERE id IN ${IDS}`).run({ ids: json });
        return { gone, names };
      })();
      await deleteObjects(blobs, names);
      return gone;
    },
    /** Every labelled conversation the journalist may see: the page decrypts and filters them (the server cannot). */
    labels(journalistId: number): { id: string; designation: string; label: string }[] {
      return db
        .prepare(`SELECT so.id, so.designation, so.label FROM sources so WHERE so.label IS NOT NULL AND so.announced = 1 AND ${canSee('so')} ORDER BY so.designation`)
        .all({ journalist: journalistId }) as { id: string; designation: string; label: string }[];
    },
    /** The conversation of a complete item the journalist may see (for its delete confirmation); a 404 otherwise. */
    sourceOfSubmission: (submissionId: string, journalistId: number): string => access.sourceOfItem(journalistId, submissionId, said('staff.error.noSubmission')),
  };
}
