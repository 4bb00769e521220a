import { joinBytes, splitHeader } from '../../common/envelope/rewrap.ts';
import type { Store } from '../store/index.ts';
import { headerBytes } from '../recipients.ts';

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

// A session key packet is at most 1,106 bytes (recipients.ts); a header holding more packets than
// the item's recorded keys (an "unknown" key) is read again at this length.
const HEADER_READ = 64 * 1024;

// One item at a time, two reads each: a source with many large items must not open thousands of
// files (and buffers) at once when logging in.
export async function sentItems(store: Store, sourceId: string): Promise<SentItem[]> {
  const replyDays = store.replies.list(sourceId).map((r) => r.createdDay);
  const items: SentItem[] = [];
  for (const [i, s] of store.submissions.sentBy(sourceId).entries()) {
    const status: SentStatus = replyDays.some((d) => d >= s.day) ? 'replied' : s.opened ? 'opened' : 'received';
    items.push({ n: i + 1, day: s.day, size: await bulkSize(store, s.id), status });
  }
  return items;
}

/**
 * The stored size without the parts' session key packets: sharing, moving or re-keying an item adds
 * and drops packets, and a codename holder must not see from the size that it happened. Every part
 * but the last holds the same bulk, so only the first and the last part's headers are read.
 */
async function bulkSize(store: Store, id: string): Promise<number> {
  try {
    return await readBulkSize(store, id);
  } catch (error) {
    // A re-wrap replaced a part's file between the row and the read: the rows name the new one now.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    return readBulkSize(store, id);
  }
}

// Each login lists every item the source sent, two header reads an item: under the load test's 200 clients sharing 20
// codenames, a login read hundreds of files by the end of a minute (about 6% of the server's CPU). A complete item's bulk
// never changes, so it is kept, by the files it was read from: a re-wrap writes new files, and is read again.
const KEPT_SIZES = 10_000;
const keptSizes = new WeakMap<Store, Map<string, number>>();

async function readBulkSize(store: Store, id: string): Promise<number> {
  const { parts, keys } = store.submissions.sizedParts(id);
  const first = parts[0];
  const last = parts.at(-1);
  if (!first || !last) return 0;
  const kept = keptSizes.get(store) ?? new Map<string, number>();
  keptSizes.set(store, kept);
  const key = `${id}:${parts.length}:${first.blob}:${first.size}:${last.blob}:${last.size}`;
  const known = kept.get(key);
  if (known !== undefined) return known;
  const bulkOf = async (p: { blob: string; size: number }) => p.size - (await sealedAt(store, p.blob, keys));
  const lastBulk = await bulkOf(last);
  const size = parts.length === 1 ? lastBulk : (parts.length - 1) * (await bulkOf(first)) + lastBulk;
  // The oldest goes first (a Map keeps insertion order): memory stays bounded whatever the number of items.
  if (kept.size >= KEPT_SIZES) kept.delete(kept.keys().next().value!);
  kept.set(key, size);
  return size;
}

async function sealedAt(store: Store, blob: string, keys: number): Promise<number> {
  try {
    return splitHeader(await store.blobs.readPrefix(blob, headerBytes(keys))).sealedAt;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return splitHeader(await store.blobs.readPrefix(blob, HEADER_READ)).sealedAt;
  }
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
