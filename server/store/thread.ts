import type { Db } from './db.ts';
import { NotFoundError } from './errors.ts';
import { said } from '../i18n/said.ts';
import { canSee, itemVisible, replyVisible, type AccessRepo, type SealedKey } from './access.ts';
import { prepared } from './statements.ts';

/** A source's complete submission, with whether this journalist has opened it; `sealedTo`: whose keys open it. */
export type ThreadItem = { kind: 'item'; id: string; size: number; partCount: number; createdDay: string; seen: boolean; sealedTo: SealedKey[] };
/** A newsroom reply; `author` is null when written before authors were kept, or by a journalist since removed. */
export type ThreadReply = { kind: 'reply'; id: string; size: number; createdDay: string; read: boolean; author: string | null; sealedTo: SealedKey[] };
export type ThreadEntry = ThreadItem | ThreadReply;
/** `label`: base64 ciphertext only journalists' keys open (null: none). */
export type Thread = { id: string; designation: string; starred: boolean; done: boolean; label: string | null; entries: ThreadEntry[] };

type SourceRow = { id: string; designation: string; starred: number; done: number; label: string | null };
type ItemRow = { id: string; size: number; part_count: number; created_day: string; seen: number; sealed_to: string };
type ReplyRow = { id: string; size: number; created_day: string; read: number; author: string | null; sealed_to: string | null };
const fingerprints = (json: string | null): string[] => (json === null ? [] : (JSON.parse(json) as string[]));

/** One conversation, as one journalist sees it: the source's items and the newsroom's replies in one thread. */
export function threadRepo(db: Db, access: AccessRepo) {
  // Only a conversation, items and replies this journalist may see (access.ts); the rest is "not found".
  const source = db.prepare(`SELECT so.id, so.designation, so.starred, so.done, so.label FROM sources so WHERE so.id = @source AND so.announced = 1 AND ${canSee('so')}`);
  const items = db.prepare(
    `SELECT s.id, s.size, s.part_count, s.created_day,
            EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id AND seen.journalist_id = @journalist) AS seen,
            (SELECT json_group_array(k.fingerprint) FROM submission_keys k WHERE k.submission_id = s.id) AS sealed_to
     FROM submissions s JOIN sources so ON so.id = s.source_id
     WHERE s.source_id = @source AND s.state = 'complete' AND ${itemVisible('so', 's')} ORDER BY s.created_day, s.rowid`,
  );
  const replies = db.prepare(
    `SELECT r.id, r.size, r.created_day, r.read, j.username AS author, r.sealed_to
     FROM replies r JOIN sources so ON so.id = r.source_id LEFT JOIN journalists j ON j.id = r.journalist_id
     WHERE r.source_id = @source AND ${replyVisible('so', 'r')} ORDER BY r.created_day, r.rowid`,
  );

  return {
    /** The thread of `sourceId` for `journalistId`; NotFoundError for an unknown, unannounced or deleted source. */
    of(sourceId: string, journalistId: number): Thread {
      const so = source.get({ source: sourceId, journalist: journalistId }) as SourceRow | undefined;
      if (!so) throw new NotFoundError(said('staff.conv.gone'));
      const at = { source: sourceId, journalist: journalistId };
      const itemRows = items.all(at) as ItemRow[];
      const replyRows = replies.all(at) as ReplyRow[];
      // Every key named in the thread is looked up once, not once per entry.
      const named = [...new Set([...itemRows, ...replyRows].flatMap((r) => fingerprints(r.sealed_to)))];
      const who = new Map(access.describe(journalistId, named).map((k, i) => [named[i]!, k]));
      const sealedTo = (json: string | null): SealedKey[] => fingerprints(json).map((fp) => who.get(fp)!);
      const own = itemRows.map(
        (r): ThreadItem => ({ kind: 'item', id: r.id, size: r.size, partCount: r.part_count, createdDay: r.created_day, seen: r.seen === 1, sealedTo: sealedTo(r.sealed_to) }),
      );
      const answers = replyRows.map(
        (r): ThreadReply => ({ kind: 'reply', id: r.id, size: r.size, createdDay: r.created_day, read: r.read === 1, author: r.author, sealedTo: sealedTo(r.sealed_to) }),
      );
      return { id: so.id, designation: so.designation, starred: so.starred === 1, done: so.done === 1, label: so.label, entries: interleave(own, answers) };
    },
    /** This journalist has not opened it (any more); other journalists' read state is theirs. */
    markUnseen(submissionId: string, journalistId: number): void {
      access.sourceOfItem(journalistId, submissionId, said('staff.error.noSubmission'));
      prepared(db, 'DELETE FROM seen WHERE submission_id = ? AND journalist_id = ?').run(submissionId, journalistId);
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
