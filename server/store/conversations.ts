import type { Db } from './db.ts';
import { canSee, itemVisible, replyVisible } from './access.ts';

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

// Only what this journalist may see is listed and counted (access.ts): another desk's conversations
// are not there at all, and in a conversation shared with them only the items sealed to their keys count.
const COMPLETE = `s.source_id = so.id AND s.state = 'complete' AND ${itemVisible('so', 's')}`;
const UNOPENED = 'NOT EXISTS (SELECT 1 FROM seen WHERE seen.submission_id = s.id AND seen.journalist_id = @journalist)';
const WHERE: Record<ListFilter, string> = {
  all: '1',
  unread: `EXISTS (SELECT 1 FROM submissions s WHERE ${COMPLETE} AND ${UNOPENED})`,
  starred: 'so.starred = 1',
  open: 'so.done = 0',
  done: 'so.done = 1',
};

// A conversation's last day: its latest complete submission or reply ('' when it has neither).
const LAST_DAY = `max(ifnull((SELECT max(s.created_day) FROM submissions s WHERE ${COMPLETE}), ''),
        ifnull((SELECT max(r.created_day) FROM replies r WHERE r.source_id = so.id AND ${replyVisible('so', 'r')}), ''))`;

// Every source with something to show (a complete submission or a reply), with its last day: two
// index lookups a source (submissions_by_source, replies_by_source), so sorting 10,000 costs little.
// Only columns of the sources_listed index are read for all of them (a row also holds the source's
// keys, kilobytes each); the label and star are read for the page's lines alone.
const listed = (filter: ListFilter) => `SELECT so.id, so.designation, so.done,
    ${LAST_DAY} AS last_day
  FROM sources so WHERE ${WHERE[filter]} AND ${canSee('so')}`;
const ORDER = 'ORDER BY done, last_day DESC, designation';

// Every listed conversation's id, in the list's order (the sort is the whole cost of a page).
const orderSql = (filter: ListFilter) => `SELECT id FROM (${listed(filter)}) WHERE last_day <> '' ${ORDER}`;
// One page's lines, counted for those 50 alone; the caller puts them in the order above.
const LINES_SQL = `SELECT so.id, so.designation, so.label, so.starred, so.done,
    ${LAST_DAY} AS last_day,
    (SELECT count(*) FROM submissions s WHERE ${COMPLETE}) AS items,
    (SELECT ifnull(sum(s.size), 0) FROM submissions s WHERE ${COMPLETE}) AS bytes,
    (SELECT count(*) FROM submissions s WHERE ${COMPLETE} AND ${UNOPENED}) AS unread
  FROM sources so WHERE so.id IN (SELECT value FROM json_each(@ids))`;

type Row = { id: string; designation: string; label: string | null; starred: number; done: number; last_day: string; items: number; bytes: number; unread: number };

// Orders kept, at most this many (a filter for one journalist each): about 1 MB each at 10,000.
const KEPT_ORDERS = 8;

/**
 * The list, a page at a time: sorted by last activity, done conversations last. The order is kept
 * in memory until the database changes at all: any write through this connection (total_changes)
 * or another one, such as the CLI's (data_version), drops every kept order, so paging and filtering
 * an unchanged drop costs a page's 50 lines, not a sort of every conversation.
 */
export function conversationList(db: Db) {
  const orders = new Map(LIST_FILTERS.map((f) => [f, db.prepare(orderSql(f)).pluck()]));
  const lines = db.prepare(LINES_SQL);
  const changes = db.prepare('SELECT total_changes()').pluck();
  const kept = new Map<string, string[]>();
  let generation = '';
  const orderOf = (journalistId: number, filter: ListFilter): string[] => {
    const now = `${String(changes.get())}:${String(db.pragma('data_version', { simple: true }))}`;
    if (now !== generation) {
      generation = now;
      kept.clear();
    }
    // Each journalist's own: what is listed depends on their desks and keys.
    const key = `${filter}:${journalistId}`;
    let ids = kept.get(key);
    if (!ids) {
      ids = orders.get(filter)!.all({ journalist: journalistId }) as string[];
      if (kept.size >= KEPT_ORDERS) kept.clear();
      kept.set(key, ids);
    }
    return ids;
  };
  return (journalistId: number, filter: ListFilter, page: number): ConversationPage => {
    const ids = orderOf(journalistId, filter);
    const slice = ids.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE);
    const rows = new Map((lines.all({ ids: JSON.stringify(slice), journalist: journalistId }) as Row[]).map((r) => [r.id, r]));
    const shown = slice.map((id) => rows.get(id)!).map((r) => ({
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
    return { lines: shown, total: ids.length, page, pages: Math.max(1, Math.ceil(ids.length / PAGE_SIZE)) };
  };
}
