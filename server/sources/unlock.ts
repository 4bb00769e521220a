import { checkSourceKeyLock, SourceKeyError } from '../../common/envelope/index.ts';
import type { ShownReply } from '../views/source-conversation.ts';
import type { Store } from '../store/index.ts';
import { keyPool } from './key-pool.ts';

/** A key stored before the shape checks existed, which the server will not unlock (a 409). */
export class StoredKeyRefusedError extends Error {
  override name = 'StoredKeyRefusedError';
  constructor() {
    super('The key kept for this codename is not one Sealdrop makes, so the server will not unlock it. With JavaScript on, your own browser can open your replies.');
  }
}

/**
 * The no-JS login: the source's replies, decrypted for one page. The stored key's shape and lock
 * are checked first (about 1 ms), so a hostile key stored before those checks existed is never
 * unlocked; the unlocking and decrypting run in a key worker (key-pool.ts), off the event loop.
 */
export async function openReplies(store: Store, source: { id: string; privateKey: string }, keyPassphrase: string): Promise<ShownReply[]> {
  try {
    await checkSourceKeyLock(source.privateKey);
  } catch (error) {
    if (error instanceof SourceKeyError) throw new StoredKeyRefusedError();
    throw error;
  }
  const listed = store.replies.list(source.id);
  const replies = await Promise.all(listed.map((r) => store.blobs.read(store.replies.blobOf(r.id, source.id))));
  const texts = await keyPool.run({ kind: 'open', privateKey: source.privateKey, passphrase: keyPassphrase, replies });
  return listed.map((r, i) => ({ id: r.id, day: r.createdDay, text: texts[i]! }));
}
