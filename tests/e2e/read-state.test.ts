import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gotoConversation, storeSubmission, unlockKey } from '../helpers/conversation.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loginInPage } from '../helpers/pages.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// Read state is per journalist and means "I opened it", in two real browsers, one per journalist:
// unlocking the key marks nothing read; opening a message or saving a file makes it read for
// that journalist only (the other's list still counts it unread); "Mark unread" undoes it in
// place; opening the conversation with the key already unlocked shows and reads its messages; a
// reply names its author to a colleague; locking takes every decrypted thing off the page.
let instance: Instance;
let work: string;
const browsers: Awaited<ReturnType<typeof launchChromium>>[] = [];
const accounts = {} as Record<'anna' | 'ben', Awaited<ReturnType<typeof makeAccount>> & { keyFile: string }>;
let source: string;
let message: string;
let file: string;
const MESSAGE = 'The shipment leaves on Thursday. read-state-canary';
const FILE = randomBytes(5000);

beforeAll(async () => {
  instance = await startInstance();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-read-'));
  for (const name of ['anna', 'ben'] as const) {
    const account = await makeAccount(instance, name);
    const keyFile = path.join(work, `${name}.asc`);
    await writeFile(keyFile, account.privateKey);
    accounts[name] = { ...account, keyFile };
  }
  const recipients = await Promise.all([accounts.anna, accounts.ben].map(async (a) => (await readJournalistKey(a.publicKey)).key));
  source = newSource(instance.store).id;
  message = await storeSubmission(instance.store, source, { name: MESSAGE_NAME, type: MESSAGE_TYPE, data: new TextEncoder().encode(MESSAGE), recipients });
  file = await storeSubmission(instance.store, source, { name: 'notes.pdf', type: 'application/pdf', data: FILE, recipients });
  browsers.push(await launchChromium({ downloads: true }), await launchChromium());
}, 60_000);
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Who has opened what, as the server keeps it: `<username>:<submission>`. */
function seen(): string[] {
  const names = new Map((instance.rows().journalists as { id: number; username: string }[]).map((j) => [j.id, j.username]));
  return (instance.rows().seen as { submission_id: string; journalist_id: number }[]).map((s) => `${names.get(s.journalist_id)}:${s.submission_id}`).sort();
}
const row = (page: Page, id: string) => page.locator(`li.submission[data-submission="${id}"]`);
const isUnread = async (page: Page, id: string) => (await row(page, id).getAttribute('class'))!.split(' ').includes('unread');
/** The unread count on the list's line for the source ("2 unread"), or '' when none. */
async function listUnread(page: Page): Promise<string> {
  const line = page.locator(`li.conversation[data-source="${source}"]`);
  await line.waitFor();
  return (await line.locator('.unread-count').count()) ? ((await line.locator('.unread-count').textContent()) ?? '') : '';
}

test('two journalists: unlocking reads nothing, opening reads for one only, mark unread, authors, lock', async () => {
  const anna = await browsers[0]!.context.newPage();
  const ben = await browsers[1]!.context.newPage();
  await loginInPage(anna, instance.journalistUrl, 'anna', accounts.anna.passphrase, accounts.anna.code());
  await loginInPage(ben, instance.journalistUrl, 'ben', accounts.ben.passphrase, accounts.ben.code());
  expect(await listUnread(ben)).toContain('2');

  // 1. Anna opens the conversation, then unlocks: each item is named, nothing is shown or read.
  await gotoConversation(anna, instance.journalistUrl, source);
  await anna.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
  await unlockKey(anna, accounts.anna.keyFile);
  await row(anna, message).locator('.item:text-is("Message")').waitFor();
  await row(anna, file).locator('.item:text("File: notes.pdf · application/pdf · < 0.1 MB")').waitFor();
  expect(await anna.locator('ol.thread pre.message').count()).toBe(0);
  expect([await isUnread(anna, message), await isUnread(anna, file)]).toEqual([true, true]);
  expect(seen()).toEqual([]);

  // 2. She opens the message: its text is shown, and it is read for her.
  await row(anna, message).locator('button.open').click();
  await row(anna, message).locator('pre.message').waitFor();
  expect(await row(anna, message).locator('pre.message').textContent()).toBe(MESSAGE);
  await expect.poll(() => seen()).toEqual([`anna:${message}`]);
  expect(await isUnread(anna, message)).toBe(false);
  expect(await row(anna, message).locator('form.mark-unread').isVisible()).toBe(true);

  // 3. She decrypts the file and saves it: read for her too.
  await row(anna, file).locator('button.open').click();
  const link = row(anna, file).locator('a[download="notes.pdf"]');
  const [download] = await Promise.all([anna.waitForEvent('download'), link.click()]);
  const saved = path.join(work, 'notes.pdf');
  await download.saveAs(saved);
  expect((await readFile(saved)).equals(FILE)).toBe(true);
  await expect.poll(() => seen()).toEqual([`anna:${file}`, `anna:${message}`].sort());
  expect(await isUnread(anna, file)).toBe(false);
  // On a phone's width, decrypted as it is, the conversation needs no sideways scrolling.
  await anna.setViewportSize({ width: 360, height: 740 });
  expect(await anna.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);

  // 4. For Ben both are still unread, in his list and in the conversation.
  await ben.reload();
  expect(await listUnread(ben)).toContain('2');
  await gotoConversation(ben, instance.journalistUrl, source);
  expect([await isUnread(ben, message), await isUnread(ben, file)]).toEqual([true, true]);

  // 5. Anna marks the message unread: in place, no reload, the key still unlocked.
  await row(anna, message).locator('form.mark-unread button').click();
  await expect.poll(() => isUnread(anna, message)).toBe(true);
  expect(seen()).toEqual([`anna:${file}`]);
  expect(await anna.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);
  expect(await anna.textContent('#key-status')).toContain('Key unlocked');

  // 6. Back to the list and into the conversation again, with the key unlocked: the message is
  // shown as she opens the conversation, and so read again.
  await anna.click('a:text("All conversations")');
  expect(await listUnread(anna)).toContain('1');
  await anna.click(`li.conversation[data-source="${source}"] a.designation`);
  await row(anna, message).locator('pre.message').waitFor();
  await expect.poll(() => seen()).toEqual([`anna:${file}`, `anna:${message}`].sort());
  expect(await anna.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true);

  // 7. Anna replies: the reply is in the thread at once, with her as its author.
  await anna.fill('textarea[id^="reply-"]', 'Which port? reply-canary-read');
  await anna.click('button.send-reply');
  await anna.locator('ol.thread li.reply-row .reply-by:text("Reply by anna, today")').waitFor();
  expect(await anna.textContent('ol.thread li.reply-row pre.message')).toBe('Which port? reply-canary-read');

  // 8. Ben sees Anna's name on it; unlocking his key reads nothing of his; he can read her reply.
  await ben.reload();
  expect(await ben.textContent('ol.thread li.reply-row .reply-by')).toMatch(/^Reply by anna, \d{4}-\d{2}-\d{2}$/);
  await unlockKey(ben, accounts.ben.keyFile);
  await row(ben, message).locator('.item:text-is("Message")').waitFor();
  await ben.click('ol.thread li.reply-row button.open-reply');
  await ben.locator('ol.thread li.reply-row pre.message').waitFor();
  expect(await ben.textContent('ol.thread li.reply-row pre.message')).toBe('Which port? reply-canary-read');
  expect(seen()).toEqual([`anna:${file}`, `anna:${message}`].sort());

  // 9. Anna locks: nothing decrypted stays on her page, and the items are numbered again.
  await anna.click('#lock-key');
  await expect.poll(() => anna.locator('ol.thread pre.message').count()).toBe(0);
  expect(await row(anna, message).locator('.item').textContent()).toBe('Item 1');
  expect(await anna.locator('ol.thread button.open:not([disabled])').count()).toBe(0);
}, 120_000);
