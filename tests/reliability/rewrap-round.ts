import { unwrapSessionKey, wrapSessionKey, type PrivateKey } from '../../common/envelope/index.ts';
import type { BlobStore } from '../../server/store/blobs.ts';
import type { Db } from '../../server/store/db.ts';
import { conversationObjects, headerOf, planOf, replaceDecision, type Reader } from '../../server/store/rewrap-plan.ts';
import { rewrapRepo } from '../../server/store/rewrap.ts';

/**
 * One re-wrap of a whole conversation with the real store code: Bob's PKESK in every object is
 * replaced by a fresh one (wrapped anew, so its bytes differ), so that every round writes new
 * files, swaps every pointer in one transaction and unlinks the old files.
 */
export async function rewrapRound(db: Db, blobs: BlobStore, sourceId: string, alice: PrivateKey, bob: Reader): Promise<void> {
  const headers = await Promise.all(conversationObjects(db, sourceId, null).map((o) => headerOf(blobs, o)));
  const plan = planOf(headers, [bob], replaceDecision([bob], (id) => id !== bob.keyId));
  const uploads = [];
  for (const o of plan.objects) {
    const add = await wrapSessionKey(await unwrapSessionKey(o.header, [alice]), [bob.publicKey]);
    uploads.push({ ref: o.ref, add: Buffer.from(add).toString('base64') });
  }
  await rewrapRepo(db, blobs).apply(plan, uploads, () => undefined);
}
