import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { launchChromium } from '../helpers/browser.ts';
import { accountWithKeyFile, gotoConversation, storeSubmission, unlockKey } from '../helpers/conversation.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loginInPage } from '../helpers/pages.ts';
import { newSource } from '../helpers/sources.ts';

// Lock wins over decryption in flight (issue 22, security review): a manifest, a message's part
// or a reply's send held back in the network (page.route) until after Lock puts nothing
// decrypted on the locked page; decrypted files are let go (their blob: URLs revoked) when the
// page is left or the key locked; a file name with bidi controls is shown without them, isolated.
let instance: Instance;
let work: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let account: Awaited<ReturnType<typeof accountWithKeyFile>>;
let source: string;
const items: string[] = [];
const SPOOFED = 'invoice\u202Efdp.exe';
const MESSAGE = 'Meet at the north gate. lock-canary-message';

beforeAll(async () => {
  instance = await startInstance();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-lock-'));
  account = await accountWithKeyFile(instance, 'clara', work);
  const recipients = [account.recipient];
  source = newSource(instance.store).id;
  // Many items, the first a file with a spoofed name, then messages and files in turn.
  items.push(await storeSubmission(instance.store, source, { name: SPOOFED, type: 'application/pdf', data: new TextEncoder().encode('%PDF-1.4 lock-canary-file'), recipients }));
  for (let i = 1; i < 8; i++) {
    const message = i % 2 === 1;
    const data = new TextEncoder().encode(message ? `${MESSAGE} ${i}` : `file ${i} lock-canary-file`);
    items.push(await storeSubmission(instance.store, source, message ? { name: MESSAGE_NAME, type: MESSAGE_TYPE, data, recipients } : { name: `secret-${i}.txt`, type: 'text/plain', data, recipients }));
  }
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Holds the requests matching `pattern` until `release()`; `held` resolves at the first one. */
async function hold(page: Page, pattern: string) {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let seen!: () => void;
  const held = new Promise<void>((r) => (seen = r));
  await page.route(pattern, async (route: Route) => {
    seen();
    await gate;
    await route.continue().catch(() => undefined);
  });
  return { held, release: () => (release(), page.unroute(pattern)) };
}

/** Everything a locked page could still show of what was decrypted. */
async function leftovers(page: Page): Promise<string[]> {
  const text = (await page.textContent('body')) ?? '';
  const found = ['lock-canary', 'invoice', 'secret-', 'fdp', 'Message', 'File:'].filter((s) => text.includes(s));
  const elements = await page.locator('ol.thread pre.message, ol.thread bdi.file-name, ol.thread a[href^="blob:"]').count();
  return elements ? [...found, `${elements} decrypted elements`] : found;
}

/** The thread's decryption pass is over (conversation.ts marks it aria-busy while it runs). */
const settled = (page: Page) => page.locator('ol.thread:not([aria-busy])').waitFor({ state: 'attached' });

let session = false;
/** A logged-in page; `bypassCsp`: its own script may fetch blob: URLs (the page's CSP allows only 'self'), to see if one still holds bytes. */
async function loggedIn(bypassCsp = false): Promise<Page> {
  const page = await browser.context.newPage();
  if (bypassCsp) await (await browser.context.newCDPSession(page)).send('Page.setBypassCSP', { enabled: true });
  // One log-in for the browser: its session cookie serves every later page.
  if (!session) await loginInPage(page, instance.journalistUrl, 'clara', account.passphrase, account.code());
  else await page.goto(`${instance.journalistUrl}/`);
  session = true;
  return page;
}

test('Lock while a manifest is decrypting: no file name or "Message" lands on the locked page', async () => {
  const page = await loggedIn();
  await gotoConversation(page, instance.journalistUrl, source);
  const manifests = await hold(page, '**/submissions/*/manifest.pgp');
  await unlockKey(page, account.keyFile);
  await manifests.held;
  await page.click('#lock-key');
  await manifests.release();
  await settled(page);
  expect(await leftovers(page)).toEqual([]);
  expect(await page.locator('ol.thread .item').allTextContents()).toEqual(items.map((_, i) => `Item ${i + 1}`));
  await page.close();
});

test("Lock while a message's text is decrypting (conversation opened with the key unlocked): the text does not land", async () => {
  const page = await loggedIn();
  await unlockKey(page, account.keyFile);
  const part = await hold(page, `**/submissions/${items[1]}/part-00001.pgp`);
  await page.click(`li.conversation[data-source="${source}"] a.designation`);
  await part.held;
  await page.click('#lock-key');
  await part.release();
  await settled(page);
  expect(await leftovers(page)).toEqual([]);
  expect(await page.locator('ol.thread li.submission:not(.unread)').count()).toBe(0);
  await page.close();
});

test('a decrypted file is let go (its blob: URL revoked) when the page is left, and when the key is locked', async () => {
  const page = await loggedIn(true);
  await unlockKey(page, account.keyFile);
  const canFetch = (href: string) => page.evaluate((u) => fetch(u).then((r) => r.text()).catch(() => null), href);
  const decrypt = async (): Promise<string> => {
    await page.click(`li.conversation[data-source="${source}"] a.designation`);
    await settled(page);
    await page.click(`li.submission[data-submission="${items[2]}"] button.open`);
    const href = (await page.locator(`li.submission[data-submission="${items[2]}"] a[href^="blob:"]`).getAttribute('href'))!;
    expect(await canFetch(href)).toBe('file 2 lock-canary-file');
    return href;
  };
  // Left for the list (client navigation, the key still unlocked).
  const left = await decrypt();
  await page.click('a:text("All conversations")');
  await page.locator('li.conversation').first().waitFor();
  expect(await canFetch(left)).toBeNull();
  // Locked on the conversation page: the link goes, and so do the bytes.
  const locked = await decrypt();
  await page.click('#lock-key');
  expect(await page.locator('a[href^="blob:"]').count()).toBe(0);
  expect(await canFetch(locked)).toBeNull();
  await page.close();
});

/** The conversation, its key unlocked and its items named. */
async function unlockedConversation(): Promise<Page> {
  const page = await loggedIn();
  await gotoConversation(page, instance.journalistUrl, source);
  await unlockKey(page, account.keyFile);
  await settled(page);
  return page;
}

test('a reply sent as the key is locked does not show its text, and Lock empties the reply being written', async () => {
  const page = await unlockedConversation();
  await page.fill('textarea[id^="reply-"]', 'Which gate? lock-canary-reply');
  const post = await hold(page, `**/sources/${source}/replies`);
  await page.click('button.send-reply');
  await post.held;
  await page.click('#lock-key');
  await post.release();
  await page.locator('.reply-status:text("Sent, encrypted")').waitFor();
  expect(await page.locator('ol.thread li.reply-row.sent-here').count()).toBe(1);
  expect(await leftovers(page)).toEqual([]);
  // A draft is emptied by Lock.
  await unlockKey(page, account.keyFile);
  await page.fill('textarea[id^="reply-"]', 'Half a thought lock-canary-draft');
  await page.click('#lock-key');
  expect(await page.inputValue('textarea[id^="reply-"]')).toBe('');
  expect(await leftovers(page)).toEqual([]);
  await page.close();
});

test('a file name with a right-to-left override is shown without it, in its own <bdi>', async () => {
  const page = await unlockedConversation();
  const row = page.locator(`li.submission[data-submission="${items[0]}"]`);
  expect(await row.locator('.item').textContent()).toBe('File: invoice_fdp.exe · application/pdf · < 0.1 MB');
  expect(await row.locator('.item bdi.file-name').textContent()).toBe('invoice_fdp.exe');
  await row.locator('button.open').click();
  const link = row.locator('.opened a[href^="blob:"]');
  await link.waitFor();
  expect(await link.getAttribute('download')).toBe('invoice_fdp.exe');
  const shown = (await row.locator('.opened').textContent()) ?? '';
  expect(shown).toContain('invoice_fdp.exe');
  expect([...shown].filter((c) => /[\u202a-\u202e\u2066-\u2069]/.test(c))).toEqual([]);
  expect(await row.locator('.opened bdi.file-name').count()).toBe(2);
  await page.close();
});
