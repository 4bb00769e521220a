import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { generateKeyPair, readJournalistKey, readPrivateKey, splitHeader, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { sessionKeyOpener, type OpenedSessionKey } from '../../common/envelope/session-key.ts';
import { PartPool } from '../../newsroom/part-pool.ts';

/** What the tests of sealdrop decrypt's workers share: a folder, a journalist key pair, a pool of two threads. */
export type PartSetup = { dir: string; key: PrivateKey; recipient: PublicKey; pool: PartPool; unwrap: (object: Uint8Array) => Promise<OpenedSessionKey> };

export async function partSetup(prefix: string): Promise<PartSetup> {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  const pair = await generateKeyPair({ name: 'Jo' });
  const key = await readPrivateKey(pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  const unwrap = (object: Uint8Array) => sessionKeyOpener([key])(object.subarray(0, splitHeader(object).sealedAt));
  return { dir, key, recipient, pool: new PartPool(2), unwrap };
}

export async function partTeardown(setup: PartSetup | undefined): Promise<void> {
  await setup?.pool.close();
  if (setup) rmSync(setup.dir, { recursive: true, force: true });
}
