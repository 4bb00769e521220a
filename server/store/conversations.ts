import type { Db } from './db.ts';

export const LIST_FILTERS = ['all', 'unread', 'starred', 'open', 'done'] as const;
export type ListFilter = (typeof LIST_FILTERS)[number];
export const PAGE_SIZE = 50;

/** One line of the list: what one journalist sees of one conversation (never its contents). */
export type ConversationLine = {
  id: string;
  designation: string;
  /** Base64 ciphertext only journalists' keys open, or null. */
  label: string | null;
  starred: boolean;
  done: boolean;
  /** Complete submissions this journalist has not opened. */
  unread: number;
  /** Complete submissions, and their stored size in bytes. */
  items: number;
  bytes: number;
  /** The day of the latest complete submission or reply (YYYY-MM-DD). */
  lastDay: string;
};
export type ConversationPage = { lines: ConversationLine[]; total: number; page: number; pages: number };

const COMPLETE = "s.source_id = so.id AND s.state = 'complete'";
const UNOPENED = 'NOT EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id AND seen.journalist_id = @journalist)';
const WHERE: Record<ListFilter, string> = {
  all: '1',
  unread: `EXISTS (SELECT 1 FROM submissions s WHERE ${COMPLETE} AND ${UNOPENED})`,
  starred: 'so.starred = 1',
  open: 'so.done = 0',
  done: 'so.done = 1',
};

// Every source with something to show (a complete submission or a reply), with its last day: two
// index lookups a source (submissions_by_source, replies_by_source), so sorting 10,000 costs little.
// Only columns of the sources_listed index are read for all of them (a row also holds the source's
// keys, kilobytes each); the label and star are read for the page's lines alone.
const listed = (filter: ListFilter) => `SELECT so.id, so.designation, so.done,
    max(ifnull((SELECT max(s.created_day) FROM submissions s WHERE ${COMPLETE}), ''),
        ifnull((SELECT max(r.created_day) FROM replies r WHERE r.source_id = so.id), '')) AS last_day
  FROM sources so WHERE ${WHERE[filter]}`;
const ORDER = 'ORDER BY done, last_day DESC, designation';

// The counts are worked out for the page's 50 lines only, after the limit; the total comes with
// them (a window over every listed line), counted apart only for a page past the end.
const pageSql = (filter: ListFilter) => `WITH page AS (
    SELECT *, count(*) OVER () AS total FROM (${listed(filter)}) WHERE last_day <> '' ${ORDER} LIMIT @limit OFFSET @offset)
  SELECT page.*, so.label, so.starred,
    (SELECT count(*) FROM submissions s WHERE s.source_id = page.id AND s.state = 'complete') AS items,
    (SELECT ifnull(sum(s.size), 0) FROM submissions s WHERE s.source_id = page.id AND s.state = 'complete') AS bytes,
    (SELECT count(*) FROM submissions s WHERE s.source_id = page.id AND s.state = 'complete' AND ${UNOPENED}) AS unread
  FROM page JOIN sources so ON so.id = page.id ORDER BY page.done, page.last_day DESC, page.designation`;
const countSql = (filter: ListFilter) => `SELECT count(*) AS n FROM (${listed(filter)}) WHERE last_day <> ''`;

type Row = { id: string; designation: string; label: string | null; starred: number; done: number; last_day: string; total: number; items: number; bytes: number; unread: number };

/** The list, a page at a time: sorted by last activity, done conversations last. */
export function conversationList(db: Db) {
  const pages = new Map(LIST_FILTERS.map((f) => [f, db.prepare(pageSql(f))]));
  const counts = new Map(LIST_FILTERS.map((f) => [f, db.prepare(countSql(f))]));
  return (journalistId: number, filter: ListFilter, page: number): ConversationPage => {
    const rows = pages.get(filter)!.all({ journalist: journalistId, limit: PAGE_SIZE, offset: (page - 1) * PAGE_SIZE }) as Row[];
    const total = rows[0]?.total ?? (counts.get(filter)!.get({ journalist: journalistId }) as { n: number }).n;
    const lines = rows.map((r) => ({
      id: r.id,
      designation: r.designation,
      label: r.label,
      starred: r.starred === 1,
      done: r.done === 1,
      unread: r.unread,
      items: r.items,
      bytes: r.bytes,
      lastDay: r.last_day,
    }));
    return { lines, total, page, pages: Math.max(1, Math.ceil(total / PAGE_SIZE)) };
  };
}
