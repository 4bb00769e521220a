import { checkSourceKeyPair } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import type { Store } from '../store/index.ts';
import { keyPool } from './key-pool.ts';

/** Checked for shape by the route (isLoginSecret); the keys are checked here. */
export type SourceKeys = { loginSecret: string; publicKey: string; privateKey: string };

/**
 * Stores a new source whose secrets and keys were made elsewhere (on the source's device). The key
 * pair must be exactly what generateSourceKeyPair makes; checking it parses two ~1 KB keys and
 * verifies two Ed25519 signatures on the event loop: 3–18 ms measured (70–80 ms for the first in a
 * process, which loads the curve code), so it stays on the main thread.
 */
export async function registerSource(store: Store, k: SourceKeys, { announced = true, deskId = null as number | null } = {}): Promise<string> {
  const key = await checkSourceKeyPair(k.publicKey, k.privateKey);
  // The desk the source chose (routes check it is offered), in the row itself; nothing else about the choice is kept.
  return store.sources.create({ loginSecret: k.loginSecret, publicKey: key.publicKey, privateKey: key.privateKey, recipientKeyId: key.recipientKeyId }, { announced, deskId }).id;
}

/**
 * The no-JavaScript path: the server makes the codename and everything derived from it in memory.
 * The codename is returned once, to be shown, and never stored. PBKDF2 runs in WebCrypto, off the
 * event loop; the key pair is made in a key worker.
 */
export async function serverMadeSource(store: Store, deskId: number | null): Promise<{ sourceId: string; codename: string }> {
  const codename = generateCodename();
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, store.sources.kdfSalt());
  const { publicKey, privateKey } = await keyPool.run({ kind: 'generate', passphrase: keyPassphrase });
  // Not announced until the codename is shown: a crash before that drops it at the next start.
  return { sourceId: await registerSource(store, { loginSecret, publicKey, privateKey }, { announced: false, deskId }), codename };
}
