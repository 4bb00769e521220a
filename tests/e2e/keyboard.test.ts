import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// With the keyboard alone: a source sends a message and a file and confirms the codename; a
// journalist logs in, unlocks the key, reads the message, decrypts the file and replies. Every
// control is reached with Tab (never clicked or focused by the test), shows where focus is, and is
// used with Enter or Space. (Choosing a file is the browser's own dialog: the one step set directly.)
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let gpg: GpgHome;
let work: string;
let desk: Awaited<ReturnType<typeof makeAccount>>;

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('keys')]);
  desk = await makeAccount(instance, 'desk', { publicKey: await readFile(gpg.publicKeyFile, 'utf8') });
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-keyboard-'));
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await Promise.all([gpg?.cleanup(), rm(work, { recursive: true, force: true })]);
});

/** Presses Tab until the focused element matches, and checks that focus shows (an outline). */
async function tabTo(page: Page, selector: string): Promise<void> {
  for (let i = 0; i < 60; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) {
      const outline = await page.evaluate(() => getComputedStyle(document.activeElement!).outlineStyle);
      expect(outline, `focus on ${selector} is visible`).not.toBe('none');
      return;
    }
  }
  throw new Error(`Tab never reached ${selector}`);
}

test('a source sends by keyboard alone, and confirms the codename', async () => {
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  const file = path.join(work, 'ledger.txt');
  await writeFile(file, 'Ledger, page 4.');
  await page.setInputFiles('#files', file);
  await tabTo(page, '#message');
  await page.keyboard.type('The ledger is attached.');
  await tabTo(page, '#send');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#codename-panel:not([hidden])');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('codename-panel'); // focus moved to what needs doing
  await tabTo(page, '#codename-confirm');
  await page.keyboard.press('Space');
  // The button wakes once the source's keys are made (while the codename is shown): a disabled button takes no focus.
  await page.waitForSelector('#codename-continue:not([disabled])');
  await tabTo(page, '#codename-continue');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#done:not([hidden])', { timeout: 60_000 });
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('done'); // and the outcome is where focus lands
  await page.close();
});

test('a journalist logs in, unlocks the key, reads, decrypts and replies by keyboard alone', async () => {
  const page = await browser.context.newPage();
  await page.goto(`${instance.journalistUrl}/login`);
  await tabTo(page, '#username');
  await page.keyboard.type('desk');
  await tabTo(page, '#passphrase');
  await page.keyboard.type(desk.passphrase);
  await tabTo(page, '#code');
  await page.keyboard.type(desk.code());
  await page.keyboard.press('Enter');
  await page.waitForSelector('h1:text-is("Inbox")');
  await page.setInputFiles('#key-file', gpg.secretKeyFile);
  await tabTo(page, '#key-passphrase');
  await page.keyboard.type(gpg.passphrase);
  await tabTo(page, '#load-key');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#key-status:text("Key unlocked")');
  // Into the conversation: opened with the key unlocked, it shows the message as text.
  await tabTo(page, 'li.conversation a.designation');
  await page.keyboard.press('Enter');
  await page.waitForSelector('li.submission.is-message pre.message');
  expect(await page.textContent('li.submission.is-message pre.message')).toBe('The ledger is attached.');
  await tabTo(page, 'li.submission:not(.is-message) button.open');
  await page.keyboard.press('Enter');
  await page.waitForSelector('li.submission:not(.is-message) pre.message');
  expect(await page.textContent('li.submission:not(.is-message) pre.message')).toBe('Ledger, page 4.');
  await tabTo(page, 'textarea[id^="reply-"]');
  await page.keyboard.type('Thank you. Is there a page 5?');
  await tabTo(page, 'button.send-reply');
  await page.keyboard.press('Enter');
  await page.waitForSelector('.reply-row pre.message');
  expect(await page.textContent('.reply-status')).toBe('Sent, encrypted to the source and the newsroom.');
  // Back to the list by the nav (no reload: the key stays), then the key bar's Lock, by keyboard.
  await tabTo(page, 'nav.staff-nav a[href="/"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#workspace li.conversation');
  expect(await page.textContent('#key-status')).toBe('Key unlocked, in this tab only.');
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1'); // where the new page begins
  // A bulk action: a conversation selected with Space, starred with Enter; a notice says so.
  await tabTo(page, 'li.conversation input.select');
  await page.keyboard.press('Space');
  await tabTo(page, 'button.bulk-action[value="star"]');
  await page.keyboard.press('Enter');
  await page.waitForSelector('#notice-area .notice');
  await page.waitForSelector('#workspace li.conversation .star');
  expect(await page.textContent('#key-status')).toBe('Key unlocked, in this tab only.');
  await tabTo(page, '#lock-key');
  await page.keyboard.press('Enter');
  expect(await page.textContent('#key-status')).toBe('Key locked.');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('load-key'); // ready to unlock again
  await page.close();
});
