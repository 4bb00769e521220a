import { joinBytes, splitHeader } from '../../common/envelope/rewrap.ts';
import type { Store } from '../store/index.ts';

/**
 * What a logged-in source sent and what became of it, from what the server already holds: each
 * item's day and size (its bulk: the encrypted bytes without the session key packets), and its
 * state. "Opened": a journalist opened it (a row of the seen table); "replied": the newsroom replied
 * on that day or later. Names are not here: each manifest is sealed to the newsroom's keys and the
 * source's own, and only the source's page (with JavaScript) opens it, through GET
 * /api/sent/:n/manifest (sourceManifest); without JavaScript the page says so.
 */
export type SentStatus = 'received' | 'opened' | 'replied';
export type SentItem = { n: number; day: string; size: number; status: SentStatus };

/** Each state's words (the page script reads the same keys, client.mine.*, by the status it is given). */
export const STATUS_KEY: Record<SentStatus, string> = { received: 'client.mine.received', opened: 'client.mine.opened', replied: 'client.mine.replied' };

// A session key packet is at most 1,106 bytes (recipients.ts): enough for any newsroom's keys.
const HEADER_READ = 64 * 1024;

export async function sentItems(store: Store, sourceId: string): Promise<SentItem[]> {
  const replyDays = store.replies.list(sourceId).map((r) => r.createdDay);
  return Promise.all(store.submissions.sentBy(sourceId).map(async (s, i) => ({
    n: i + 1,
    day: s.day,
    size: await bulkSize(store, s.id, s.size),
    status: replyDays.some((d) => d >= s.day) ? 'replied' : s.opened ? 'opened' : 'received',
  })));
}

/**
 * The stored size without the parts' session key packets: sharing, moving or re-keying an item adds
 * and drops packets, and a codename holder must not see from the size that it happened.
 */
async function bulkSize(store: Store, id: string, stored: number): Promise<number> {
  const { parts } = store.submissions.objects(id);
  const headers = await Promise.all(parts.map(async (blob) => splitHeader(await store.blobs.readPrefix(blob, HEADER_READ)).sealedAt));
  return stored - headers.reduce((sum, n) => sum + n, 0);
}

/**
 * A sent item's manifest as the source may see it: only the session key packet for the source's
 * own key, then the bulk. The other packets would tell a codename holder which journalist keys the
 * item was later shared or moved to. A manifest not sealed to the source (a page older than issue
 * 25 sent it) keeps no packet: the page then shows no name, as it did.
 */
export async function sourceManifest(store: Store, sourceId: string, manifest: string): Promise<Uint8Array> {
  const own = store.sources.get(sourceId).recipientKeyId;
  const data = await store.blobs.read(manifest);
  const { pkesks, sealedAt } = splitHeader(data);
  return joinBytes([...pkesks.filter((p) => own && p.keyId === own.toLowerCase()).map((p) => p.bytes), data.subarray(sealedAt)]);
}
