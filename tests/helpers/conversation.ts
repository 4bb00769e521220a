import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { partCountFor, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import type { Store } from '../../server/store/index.ts';
import type { Instance } from './instance.ts';
import { makeAccount } from './staff-client.ts';

/** A complete submission sealed as a source's page seals it (manifest, parts), straight into the store. */
export async function storeSubmission(store: Store, sourceId: string, o: { name: string; type: string; data: Uint8Array; recipients: PublicKey[] }): Promise<string> {
  const id = store.submissions.create(sourceId, partCountFor(o.data.length, 4 * 1024 * 1024));
  const sealer = new SubmissionSealer({ submission: id, name: o.name, type: o.type, recipients: o.recipients });
  let n = 0;
  for await (const part of sealFile(sealer, o.data.length, async (s, e) => o.data.subarray(s, e))) await store.submissions.putPart(id, ++n, part);
  await store.submissions.putManifest(id, await sealer.sealManifest());
  store.submissions.complete(id);
  return id;
}

/** Unlocks the private key in the key bar of a journalist page (it stays in that tab's memory). */
export async function unlockKey(page: Page, keyFile: string, passphrase = ''): Promise<void> {
  await page.setInputFiles('#key-file', keyFile);
  if (passphrase) await page.fill('#key-passphrase', passphrase);
  await page.click('#load-key');
  await page.waitForSelector('#key-status:text("Key unlocked")');
}

/** One conversation's page, by its address (a full load: a key unlocked before is forgotten). */
export async function gotoConversation(page: Page, journalistUrl: string, sourceId: string): Promise<void> {
  await page.goto(`${journalistUrl}/conversations/${sourceId}`);
  await page.waitForSelector('ol.thread', { state: 'attached' });
}

/** A journalist account whose private key is in a file under `dir` (for the key bar), and its public key read. */
export async function accountWithKeyFile(instance: Instance, username: string, dir: string) {
  const account = await makeAccount(instance, username);
  const keyFile = path.join(dir, `${username}.asc`);
  await writeFile(keyFile, account.privateKey);
  return { ...account, keyFile, recipient: (await readJournalistKey(account.publicKey)).key };
}
