import type { Db } from './db.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';

/** A source's complete submission, with whether this journalist has opened it. */
export type ThreadItem = { kind: 'item'; id: string; size: number; partCount: number; createdDay: string; seen: boolean };
/** A newsroom reply; `author` is null when written before authors were kept, or by a journalist since removed. */
export type ThreadReply = { kind: 'reply'; id: string; size: number; createdDay: string; read: boolean; author: string | null };
export type ThreadEntry = ThreadItem | ThreadReply;
/** `label`: base64 ciphertext only journalists' keys open (null: none). */
export type Thread = { id: string; designation: string; starred: boolean; done: boolean; label: string | null; entries: ThreadEntry[] };

type SourceRow = { id: string; designation: string; starred: number; done: number; label: string | null };
type ItemRow = { id: string; size: number; part_count: number; created_day: string; seen: number };
type ReplyRow = { id: string; size: number; created_day: string; read: number; author: string | null };

/** One conversation, as one journalist sees it: the source's items and the newsroom's replies in one thread. */
export function threadRepo(db: Db) {
  const source = db.prepare('SELECT id, designation, starred, done, label FROM sources WHERE id = ? AND announced = 1');
  const items = db.prepare(
    `SELECT s.id, s.size, s.part_count, s.created_day,
            EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id AND seen.journalist_id = ?) AS seen
     FROM submissions s WHERE s.source_id = ? AND s.state = 'complete' ORDER BY s.created_day, s.rowid`,
  );
  const replies = db.prepare(
    `SELECT r.id, r.size, r.created_day, r.read, j.username AS author
     FROM replies r LEFT JOIN journalists j ON j.id = r.journalist_id WHERE r.source_id = ? ORDER BY r.created_day, r.rowid`,
  );
  const complete = db.prepare("SELECT 1 FROM submissions WHERE id = ? AND state = 'complete'");

  return {
    /** The thread of `sourceId` for `journalistId`; NotFoundError for an unknown, unannounced or deleted source. */
    of(sourceId: string, journalistId: number): Thread {
      const so = source.get(sourceId) as SourceRow | undefined;
      if (!so) throw new NotFoundError(said('staff.conv.gone'));
      const own = (items.all(journalistId, sourceId) as ItemRow[]).map(
        (r): ThreadItem => ({ kind: 'item', id: r.id, size: r.size, partCount: r.part_count, createdDay: r.created_day, seen: r.seen === 1 }),
      );
      const answers = (replies.all(sourceId) as ReplyRow[]).map(
        (r): ThreadReply => ({ kind: 'reply', id: r.id, size: r.size, createdDay: r.created_day, read: r.read === 1, author: r.author }),
      );
      return { id: so.id, designation: so.designation, starred: so.starred === 1, done: so.done === 1, label: so.label, entries: interleave(own, answers) };
    },
    /** This journalist has not opened it (any more); other journalists' read state is theirs. */
    markUnseen(submissionId: string, journalistId: number): void {
      if (!complete.get(submissionId)) throw new NotFoundError(said('staff.error.noSubmission'));
      db.prepare('DELETE FROM seen WHERE submission_id = ? AND journalist_id = ?').run(submissionId, journalistId);
    },
  };
}
export type ThreadRepo = ReturnType<typeof threadRepo>;

/**
 * Days are the only time kept for anything (a finer one would help date a source's visit), so
 * the thread is ordered by day; within one day the source's items come before the replies, as a
 * reply most often answers what arrived. Both lists come sorted by day, in the order stored.
 */
function interleave(items: ThreadItem[], replies: ThreadReply[]): ThreadEntry[] {
  const out: ThreadEntry[] = [];
  let r = 0;
  for (const item of items) {
    while (r < replies.length && replies[r]!.createdDay < item.createdDay) out.push(replies[r++]!);
    out.push(item);
  }
  return out.concat(replies.slice(r));
}
