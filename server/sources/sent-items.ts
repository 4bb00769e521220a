import type { Store } from '../store/index.ts';

/**
 * What a logged-in source sent and what became of it, from what the server already holds: each
 * item's day and stored size (a size class), and its state. "Opened": a journalist opened it (a row
 * of the seen table); "replied": the newsroom replied on that day or later. Names are not here: each
 * manifest is sealed to the newsroom's keys and the source's own, and only the source's page (with
 * JavaScript) opens it, through GET /api/sent/:n/manifest; without JavaScript the page says so.
 */
export type SentStatus = 'received' | 'opened' | 'replied';
export type SentItem = { n: number; day: string; size: number; status: SentStatus };

/** Each state's words (the page script reads the same keys, client.mine.*, by the status it is given). */
export const STATUS_KEY: Record<SentStatus, string> = { received: 'client.mine.received', opened: 'client.mine.opened', replied: 'client.mine.replied' };

export function sentItems(store: Store, sourceId: string): SentItem[] {
  const replyDays = store.replies.list(sourceId).map((r) => r.createdDay);
  return store.submissions.sentBy(sourceId).map((s, i) => ({
    n: i + 1,
    day: s.day,
    size: s.size,
    status: replyDays.some((d) => d >= s.day) ? 'replied' : s.opened ? 'opened' : 'received',
  }));
}
