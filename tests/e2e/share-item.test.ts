import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../helpers/axe.ts';
import { gotoConversation, unlockKey } from '../helpers/conversation.ts';
import { loginInPage } from '../helpers/pages.ts';
import { deskConversation, secretsOf } from '../helpers/rewrap.ts';
import { startRewrapPage, type RewrapPage } from '../helpers/rewrap-page.ts';
import { secretsIn } from '../helpers/sniffer.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// Issue 23: journalist A shares an item with journalist B in the page. The page unwraps each
// object's session key with A's key and wraps it for B's; only public-key packets are uploaded.
// B's key alone (GnuPG) then opens every object. Every byte the browser sent the journalist
// listener is searched for A's secret key material and for every object's session key.
let env: RewrapPage;
let sourceId: string;
let item: string;
let alice: Awaited<ReturnType<typeof makeAccount>>;
const plaintext = randomBytes(70_000);

beforeAll(async () => {
  env = await startRewrapPage('bob');
  const { instance, gpg: bob } = env;
  alice = await makeAccount(instance, 'alice');
  await makeAccount(instance, 'bob', { publicKey: await readFile(bob.publicKeyFile, 'utf8') });
  const tips = instance.store.desks.create('tips', {}, 'cli');
  instance.store.desks.addMember(tips.id, alice.id);
  ({ sourceId, item } = await deskConversation(instance.store, tips.id, alice.publicKey, plaintext));
}, 120_000);
afterAll(() => env?.close());

/** Every stored object of the item, as files (manifest first). */
function itemFiles(): Promise<string[]> {
  const o = env.instance.store.submissions.objects(item);
  return env.objectFiles([o.manifest, ...o.parts]);
}

test('A shares an item with B in the page; B\'s key alone opens it with gpg; no private or session key was sent', async () => {
  const { instance, gpg: bob, work, sniffer, browser } = env;
  // Before: gpg with B's key cannot open the manifest (exit code non-zero).
  const before = await itemFiles();
  await expect(bob.decrypt(before[0]!)).rejects.toThrow();

  const keyFile = path.join(work, 'alice.asc');
  await writeFile(keyFile, alice.privateKey);
  const page = await browser.context.newPage();
  await loginInPage(page, sniffer.url, 'alice', alice.passphrase, alice.code());
  await gotoConversation(page, sniffer.url, sourceId);
  await unlockKey(page, keyFile);
  await page.waitForSelector('#share-to option[value="u:bob"]', { state: 'attached' });
  // The panel the page adds (labelled selects, a Share button per item) passes axe-core.
  expect(await axeViolations(page)).toEqual([]);
  await page.selectOption('#share-to', 'u:bob');
  await page.click(`button.share-item[data-submission="${item}"]`);
  await page.waitForSelector('.rewrap-status:text-matches("Shared: \\\\d+ objects")');
  const status = await page.textContent('.rewrap-status');
  expect(status).toMatch(/^Shared: (\d+) objects re-wrapped for the new readers\.$/);

  // B's key alone, in GnuPG, opens every object; the parts, in order, are the file (then zero padding).
  const after = await itemFiles();
  const opened = await Promise.all(after.map((f) => bob.decrypt(f)));
  expect(Number(/Shared: (\d+)/.exec(status!)![1])).toBe(after.length);
  expect(Buffer.concat(opened.slice(1)).subarray(0, plaintext.length).equals(plaintext)).toBe(true);
  expect(instance.store.audit.withPrefix('access.').at(-1)!.action).toBe('access.share');

  // What the browser sent: no secret of A's key, no session key of any object, no private key block.
  const secrets = await secretsOf(alice.privateKey, after);
  expect(Object.keys(secrets).length).toBeGreaterThan(after.length);
  const sent = sniffer.sent();
  expect(secretsIn(sent, secrets)).toEqual([]);
  expect(sent.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  // Positive control: the share's own request went through the sniffer, with B's key ID in its PKESKs.
  expect(sent.includes(Buffer.from(`POST /conversations/${sourceId}/share`))).toBe(true);
  await page.close();
}, 180_000);
