import { randomBytes } from 'node:crypto';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { axeViolations } from '../helpers/axe.ts';
import { gotoConversation, unlockKey } from '../helpers/conversation.ts';
import { loginInPage } from '../helpers/pages.ts';
import { secretsOf, storeItem } from '../helpers/rewrap.ts';
import { startRewrapPage, type RewrapPage } from '../helpers/rewrap-page.ts';
import { secretsIn } from '../helpers/sniffer.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// Issue 23, key rotation in the page: a journalist replaces her key (a `key` change, applied at
// once with one administrator); new material uses the new key. On /account, with the new key in
// the key bar and the old one in the second slot, "Move my items to my new key" re-wraps
// everything sealed to the old key. Then the old key file is destroyed, and every item and reply
// opens with the new key alone: in the page, and with GnuPG (the new key lives in a GnuPG home).
let env: RewrapPage;
let sourceId: string;
let item: string;
let reply: string;
const plaintext = randomBytes(40_000);

beforeAll(async () => {
  env = await startRewrapPage('dana2');
}, 120_000);
afterAll(() => env?.close());

const prefixed = (p: string, o: Record<string, Uint8Array>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [p + k, v]));

/** Every stored object sealed to dana's keys (the item's manifest and parts, the reply), as files. */
function objectFiles(): Promise<string[]> {
  const o = env.instance.store.submissions.objects(item);
  return env.objectFiles([o.manifest, ...o.parts, env.instance.store.replies.blobById(reply)]);
}

test('rotate, both keys loaded, move my items; then the old key destroyed and everything opens with the new key (page and gpg)', async () => {
  const { instance, gpg: fresh, work, sniffer, browser } = env;
  const old = await generateKeyPair({ name: 'dana' });
  const dana = await makeAccount(instance, 'dana', { publicKey: old.publicKey, isAdmin: true });
  const oldKey = await readJournalistKey(old.publicKey);
  sourceId = newSource(instance.store).id;
  item = await storeItem(instance.store, sourceId, plaintext, [{ key: oldKey.key, fingerprint: oldKey.fingerprint }]);
  reply = await instance.store.replies.add(sourceId, await encryptObject({ data: Buffer.from('see you at noon'), recipients: [oldKey.key] }), dana.id, [oldKey.fingerprint]);

  // The key is replaced (one administrator: applied at once); the old one is retired, not forgotten.
  const newPublic = await readFile(fresh.publicKeyFile, 'utf8');
  expect(await instance.store.changes.request('key', { journalistId: dana.id, publicKey: newPublic }, dana.id)).toEqual({ applied: true });
  const before = await objectFiles();
  await expect(fresh.decrypt(before[0]!)).rejects.toThrow();

  const oldFile = path.join(work, 'old.asc');
  await writeFile(oldFile, old.privateKey);
  const page = await browser.context.newPage();
  await loginInPage(page, sniffer.url, 'dana', dana.passphrase, dana.code());
  await page.goto(`${sniffer.url}/account`);
  await unlockKey(page, fresh.secretKeyFile, fresh.passphrase);
  await page.waitForSelector('#rotate-items', { state: 'visible' });
  expect(await axeViolations(page)).toEqual([]);
  await page.setInputFiles('#old-key-file', oldFile);
  await page.click('#rotate-items');
  await page.waitForSelector('.rewrap-status:text-matches("^Done: ")', { timeout: 60_000 });
  expect(await page.textContent('.rewrap-status')).toBe(`Done: ${before.length} objects re-wrapped for your new key. You may now destroy the old key.`);
  expect(instance.store.audit.withPrefix('access.').at(-1)!.action).toBe('access.rotate');

  // Neither key's secrets nor any session key went over the wire (the old key's sessions, from the objects before).
  const secrets = { ...(await secretsOf(old.privateKey, before)), ...prefixed('new ', await secretsOf(await readFile(fresh.secretKeyFile, 'utf8'), [], fresh.passphrase)) };
  expect(secretsIn(sniffer.sent(), secrets)).toEqual([]);
  expect(sniffer.sent().includes(Buffer.from('POST /account/rotate'))).toBe(true);
  // The old key is destroyed: only the new one remains, in GnuPG and in the page.
  await rm(oldFile);
  const after = await objectFiles();
  const opened = await Promise.all(after.map((f) => fresh.decrypt(f)));
  expect(Buffer.concat(opened.slice(1, -1)).subarray(0, plaintext.length).equals(plaintext)).toBe(true);
  expect(opened.at(-1)!.toString()).toBe('see you at noon');
  await gotoConversation(page, sniffer.url, sourceId);
  await unlockKey(page, fresh.secretKeyFile, fresh.passphrase);
  await page.waitForSelector('li.submission .item:text("File: ledger.pdf")');
  await page.click('li.submission button.open');
  await page.waitForSelector('li.submission a[download="ledger.pdf"]');
  // Nothing is sealed to the old key any more: a second rotation has nothing to do.
  await expect(instance.store.rewrap.planRotate(dana.id)).rejects.toThrow(/nothing/i);
  await page.close();
}, 240_000);
