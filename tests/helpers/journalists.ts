import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import type { Journalist, KeyFields, Store } from '../../server/store/index.ts';

/** A real journalist key's fields, as the routes and the CLI give them to the store. */
export async function keyFields(name = 'J'): Promise<KeyFields & { privateKey: string }> {
  const pair = await generateKeyPair({ name });
  const key = await readJournalistKey(pair.publicKey);
  return { fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, privateKey: pair.privateKey };
}

/** A journalist added straight to the store (active; an administrator when asked). */
export async function addJournalist(store: Store, username: string, isAdmin = false): Promise<Journalist> {
  const { privateKey: _, ...key } = await keyFields(username);
  return store.journalists.add({ ...key, username, isAdmin });
}
