import type { BlobStore } from './blobs.ts';
import type { Db } from './db.ts';
import { deleteObjects, deleteSubmissionRows } from './drop.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { conversationBulk } from './bulk.ts';
import { conversationList } from './conversations.ts';

export type InboxSubmission = { id: string; size: number; partCount: number; createdDay: string; seen: boolean };
export type InboxReply = { id: string; createdDay: string; read: boolean };
/** `label`: journalists' own name for the source, base64 ciphertext only their keys open (null: none). */
export type InboxSource = { id: string; designation: string; starred: boolean; done: boolean; label: string | null; submissions: InboxSubmission[]; replies: InboxReply[] };

type Row = { id: string; size: number; part_count: number; created_day: string; seen: number };

/** What journalists see: sources by designation and their complete submissions, newest first. */
export function inboxRepo(db: Db, blobs: BlobStore) {
  const replies = (sourceId: string): InboxReply[] =>
    (db.prepare('SELECT id, created_day, read FROM replies WHERE source_id = ? ORDER BY rowid').all(sourceId) as { id: string; created_day: string; read: number }[]).map(
      (r) => ({ id: r.id, createdDay: r.created_day, read: r.read === 1 }),
    );
  const removeSubmissions = async (ids: string[], extra: () => void = () => undefined): Promise<void> => {
    const names = db.transaction(() => {
      const found = deleteSubmissionRows(db, ids);
      extra();
      return found;
    })();
    await deleteObjects(blobs, names);
  };

  return {
    /** The list a page at a time (conversations.ts), and actions on many conversations (bulk.ts). */
    page: conversationList(db),
    ...conversationBulk(db, blobs),
    list(journalistId: number): InboxSource[] {
      // Every source with something to show: complete submissions, or replies (even once its submissions are gone).
      const sources = db
        .prepare(
          `SELECT id, designation, starred, done, label FROM sources so
           WHERE EXISTS (SELECT 1 FROM submissions s WHERE s.source_id = so.id AND s.state = 'complete')
              OR EXISTS (SELECT 1 FROM replies r WHERE r.source_id = so.id)`,
        )
        .all() as { id: string; designation: string; starred: number; done: number; label: string | null }[];
      const submissionsOf = db.prepare(
        `SELECT s.id, s.size, s.part_count, s.created_day,
                EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id AND seen.journalist_id = ?) AS seen
         FROM submissions s WHERE s.source_id = ? AND s.state = 'complete' ORDER BY s.created_day DESC, s.rowid DESC`,
      );
      const listed = sources.map((so) => ({
        id: so.id,
        designation: so.designation,
        starred: so.starred === 1,
        done: so.done === 1,
        label: so.label,
        submissions: (submissionsOf.all(journalistId, so.id) as Row[]).map((r) => ({ id: r.id, size: r.size, partCount: r.part_count, createdDay: r.created_day, seen: r.seen === 1 })),
        replies: replies(so.id),
      }));
      const latest = (s: InboxSource) => [...s.submissions.map((x) => x.createdDay), ...s.replies.map((x) => x.createdDay)].sort().at(-1) ?? '';
      // Open conversations before done ones; starred first; then the most recent activity.
      return listed.sort((a, b) => Number(a.done) - Number(b.done) || Number(b.starred) - Number(a.starred) || latest(b).localeCompare(latest(a)));
    },
    markSeen(submissionId: string, journalistId: number): void {
      db.prepare('INSERT OR IGNORE INTO seen (submission_id, journalist_id) VALUES (?, ?)').run(submissionId, journalistId);
    },
    async deleteSubmission(id: string): Promise<void> {
      if (!db.prepare("SELECT 1 FROM submissions WHERE id = ? AND state = 'complete'").get(id)) throw new NotFoundError(said('staff.error.noSubmission'));
      await removeSubmissions([id]);
    },
    async deleteSource(sourceId: string): Promise<void> {
      if (!db.prepare('SELECT 1 FROM sources WHERE id = ?').get(sourceId)) throw new NotFoundError(said('staff.error.noSource'));
      const ids = (db.prepare('SELECT id FROM submissions WHERE source_id = ?').all(sourceId) as { id: string }[]).map((r) => r.id);
      const replyBlobs = (db.prepare('SELECT blob FROM replies WHERE source_id = ?').all(sourceId) as { blob: string }[]).map((r) => r.blob);
      await removeSubmissions(ids, () => db.prepare('DELETE FROM sources WHERE id = ?').run(sourceId));
      await deleteObjects(blobs, replyBlobs);
    },
  };
}
export type InboxRepo = ReturnType<typeof inboxRepo>;
