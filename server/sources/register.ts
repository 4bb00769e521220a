import { checkLockedPrivateKey, generateKeyPair, readJournalistKey } from '../../client/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../client/shared/codename.ts';
import { HttpError } from '../http/errors.ts';
import type { Store } from '../store/index.ts';

export type SourceKeys = { loginSecret: string; publicKey: string; privateKey: string };
const LOGIN = /^[0-9a-f]{64}$/;

/** Stores a new source whose secrets and keys were made elsewhere (on the source's device). */
export async function registerSource(store: Store, k: SourceKeys): Promise<string> {
  if (!LOGIN.test(k.loginSecret)) throw new HttpError(400, 'Malformed login secret.');
  const key = await readJournalistKey(k.publicKey);
  await checkLockedPrivateKey(k.privateKey, key.fingerprint);
  return store.sources.create({ loginSecret: k.loginSecret, publicKey: key.armored, privateKey: k.privateKey, recipientKeyId: key.recipientKeyId }).id;
}

/**
 * The no-JavaScript path: the server makes the codename and everything derived from it in memory.
 * The codename is returned once, to be shown, and never stored.
 */
export async function serverMadeSource(store: Store): Promise<{ sourceId: string; codename: string }> {
  const codename = generateCodename();
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, store.sources.kdfSalt());
  const { publicKey, privateKey } = await generateKeyPair({ name: 'Sealdrop source', passphrase: keyPassphrase });
  return { sourceId: await registerSource(store, { loginSecret, publicKey, privateKey }), codename };
}
