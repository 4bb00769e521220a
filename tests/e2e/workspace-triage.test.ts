import Database from 'better-sqlite3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page, Route } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { launchChromium } from '../helpers/browser.ts';
import { storeSubmission, unlockKey } from '../helpers/conversation.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loginInPage } from '../helpers/pages.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// Triage in one tab with the key unlocked once (issue 22, "The key"): star, done, label, reply,
// delete through its confirmation, a filter, page 2, list ↔ conversation and Back. After each step
// the key is still unlocked (#key-status, and something decrypted on the page) and a marker set on
// window at the start is still there: the page was never reloaded. Then Lock forgets what was
// decrypted, an idle journalist's key locks itself, and the key is in no storage.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let work: string;
let desk: Awaited<ReturnType<typeof makeAccount>>;
let keyFile: string;
let target: { id: string; designation: string };
let fileItem: string;
const LABEL = 'Harbour ledger source';
const MESSAGE = 'The harbour ledgers are in the blue binder. triage-canary-41';
const UNLOCKED = 'Key unlocked, in this tab only.';
const CONVERSATIONS = 55; // more than one page of 50

/** One sealed item, as the source page makes it: a message (message.txt) or a file. */
const item = (sourceId: string, recipients: PublicKey[], name: string, type: string, text: string) =>
  storeSubmission(instance.store, sourceId, { name, type, data: new TextEncoder().encode(text), recipients });

beforeAll(async () => {
  instance = await startInstance();
  desk = await makeAccount(instance, 'desk');
  const recipients = [(await readJournalistKey(desk.publicKey)).key];
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
  try {
    // The others are older, so the one this test works on is the list's first line.
    for (let n = 0; n < CONVERSATIONS - 1; n++) {
      const s = newSource(instance.store);
      const id = await item(s.id, recipients, MESSAGE_NAME, MESSAGE_TYPE, `older ${n}`);
      db.prepare('UPDATE submissions SET created_day = ? WHERE id = ?').run(`2026-01-${String(1 + (n % 28)).padStart(2, '0')}`, id);
    }
  } finally {
    db.close();
  }
  target = newSource(instance.store);
  await item(target.id, recipients, MESSAGE_NAME, MESSAGE_TYPE, MESSAGE);
  fileItem = await item(target.id, recipients, 'notes.csv', 'text/csv', 'a,b\n1,2\n');
  instance.store.sources.setLabel(target.id, Buffer.from(await sealText({ kind: 'label', text: LABEL, recipients })).toString('base64'));
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-triage-'));
  keyFile = path.join(work, 'desk.asc');
  await writeFile(keyFile, desk.privateKey);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

/** Still the same page (no reload), the key still unlocked, and `decrypted` (something only the key shows) on it. */
async function stillUnlocked(page: Page, decrypted: string, text: string): Promise<void> {
  await page.waitForFunction(([s, want]) => document.querySelector(s!)?.textContent?.includes(want!) ?? false, [decrypted, text], { timeout: 30_000 }).catch(async (error: Error) => {
    // Seen once under a loaded CI run and never again: say what the page held, for the next time.
    const thread = await page.evaluate(() => document.querySelector('#workspace')?.outerHTML.slice(0, 4000) ?? '(no #workspace)').catch(() => '(page gone)');
    throw new Error(`${error.message}\n#workspace was: ${thread}`);
  });
  expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('triage');
  expect(await page.textContent('#key-status')).toBe(UNLOCKED);
}

const rowLabel = (id: string) => `#workspace li[data-source="${id}"] .source-label`;
const MESSAGE_SHOWN = '#workspace li.submission pre.message';

/** Clicks, then waits for the shell to show the page at `url` (path and query). */
async function go(page: Page, click: () => Promise<void>, url: string): Promise<void> {
  await click();
  await page.waitForFunction((u) => location.pathname + location.search === u && !document.querySelector('#workspace[aria-busy]'), url, { timeout: 30_000 });
}

/** Nothing of the key in any storage this origin has. */
async function storageIsEmpty(page: Page): Promise<void> {
  const stored = await page.evaluate(async () => ({
    local: localStorage.length,
    session: sessionStorage.length,
    databases: (await indexedDB.databases()).length,
    cookie: document.cookie,
  }));
  expect(stored).toEqual({ local: 0, session: 0, databases: 0, cookie: '' });
}

test('triage with the key unlocked once: nothing reloads the page or forgets the key', async () => {
  const page = await browser.context.newPage();
  await loginInPage(page, instance.journalistUrl, 'desk', desk.passphrase, desk.code());
  await page.evaluate(() => ((window as unknown as { __marker: string }).__marker = 'triage'));
  await unlockKey(page, keyFile);
  expect(await page.isVisible('#lock-key')).toBe(true);
  await stillUnlocked(page, rowLabel(target.id), LABEL);

  // List → conversation: the message is decrypted there, with the same key.
  const here = `/conversations/${target.id}`;
  await go(page, () => page.click(`#workspace a[href="${here}"]`), here);
  await stillUnlocked(page, MESSAGE_SHOWN, MESSAGE);
  expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('H1'); // a screen reader is told where it is

  // Star (pressed twice in a row: the second press is ignored while the first is on its way), then
  // done: forms posted by the shell, answered with a 303 back here.
  const held: Route[] = [];
  await page.route('**/star', (route) => void held.push(route));
  await page.click('#workspace form[action$="/star"] button');
  await expect.poll(() => held.length).toBe(1);
  await page.click('#workspace form[action$="/star"] button');
  expect(held).toHaveLength(1);
  await go(page, () => held[0]!.continue(), here);
  await page.waitForSelector('#workspace h1 .star');
  await page.unroute('**/star');
  expect(held).toHaveLength(1);
  await stillUnlocked(page, MESSAGE_SHOWN, MESSAGE);
  await go(page, () => page.click('#workspace form[action$="/done"] button'), here);
  await page.waitForSelector('#workspace form[action$="/done"] input[name=done][value="0"]', { state: 'attached' });
  await stillUnlocked(page, MESSAGE_SHOWN, MESSAGE);

  // A label saved and a reply sent (both encrypted in the page).
  await page.fill(`#label-${target.id}`, `${LABEL} (2)`);
  await page.click('#workspace button.save-label');
  await page.waitForSelector('#workspace .label-status:text("Saved, encrypted.")');
  await stillUnlocked(page, '#workspace h1 .source-label', `${LABEL} (2)`);
  await page.fill(`#reply-${target.id}`, 'Thank you. Which binder number?');
  await page.click('#workspace button.send-reply');
  await page.waitForSelector('#workspace .reply-status:text("Sent, encrypted to the source and the newsroom.")');
  await stillUnlocked(page, MESSAGE_SHOWN, MESSAGE);

  // An item deleted through its confirmation; a notice says so where the journalist lands.
  await go(page, () => page.click(`#workspace a[href="/submissions/${fileItem}/delete"]`), `/submissions/${fileItem}/delete`);
  await page.waitForSelector('#workspace button.danger');
  expect(await page.textContent('#key-status')).toBe(UNLOCKED);
  await page.click('#workspace button.danger');
  await page.waitForSelector('#notice-area .notice');
  await page.waitForFunction((u) => location.pathname === u, here);
  expect(await page.locator(`#workspace li[data-submission="${fileItem}"]`).count()).toBe(0);
  await stillUnlocked(page, MESSAGE_SHOWN, MESSAGE);

  // Back to the list by its link (done conversations come last: this one is now on page 2), a
  // filter, then page 2 of all.
  await go(page, () => page.click('#workspace a[href="/"]'), '/');
  await stillUnlocked(page, '#workspace .list-count', `${CONVERSATIONS} conversations`);
  await go(page, () => page.click('#workspace a[href="/?filter=starred"]'), '/?filter=starred');
  expect(await page.locator('#workspace li[data-source]').count()).toBe(1);
  await stillUnlocked(page, rowLabel(target.id), `${LABEL} (2)`);
  await go(page, () => page.click('#workspace a[href="/"]'), '/');
  await go(page, () => page.click('#workspace a[href="/?page=2"]'), '/?page=2');
  expect(await page.locator('#workspace li[data-source]').count()).toBe(CONVERSATIONS - 50);
  await stillUnlocked(page, rowLabel(target.id), `${LABEL} (2)`);

  // Back (the browser's own) returns to page 1, then to the starred filter, without a reload.
  await page.goBack();
  await page.waitForFunction(() => location.search === '' && document.querySelectorAll('#workspace li[data-source]').length === 50);
  await stillUnlocked(page, '#workspace .list-count', `${CONVERSATIONS} conversations`);
  await page.goBack();
  await page.waitForFunction(() => location.search === '?filter=starred' && document.querySelectorAll('#workspace li[data-source]').length === 1);
  await stillUnlocked(page, rowLabel(target.id), `${LABEL} (2)`);
  await storageIsEmpty(page);

  // A refusal is a staff page too: swapped in like any other, the key kept.
  const gone = `/conversations/${'0'.repeat(32)}`;
  await page.evaluate((href) => {
    const a = Object.assign(document.createElement('a'), { href, textContent: 'gone' });
    document.getElementById('workspace')!.append(a);
  }, gone);
  await go(page, () => page.click(`#workspace a[href="${gone}"]`), gone);
  expect(await page.textContent('#workspace h1')).toBe('That did not work');
  expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBe('triage');
  expect(await page.textContent('#key-status')).toBe(UNLOCKED);
  await page.goBack();
  await page.waitForFunction(() => location.search === '?filter=starred');
  await stillUnlocked(page, rowLabel(target.id), `${LABEL} (2)`);

  // Lock: what was decrypted is gone from the page, and the key bar asks for the key again.
  await page.click('#lock-key');
  expect(await page.textContent('#key-status')).toBe('Key locked.');
  expect(await page.textContent(rowLabel(target.id))).toBe('');
  expect(await page.isVisible('#load-key')).toBe(true);
  expect(await page.isVisible('#lock-key')).toBe(false);

  // Once the session has ended, a link answers with the login page, which is not a staff page: it
  // is loaded in full (the page, and the marker with it, are gone).
  await browser.context.clearCookies();
  await page.click('nav.staff-nav a[href="/"]');
  await page.waitForURL(`${instance.journalistUrl}/login`);
  await page.waitForSelector('#username');
  expect(await page.evaluate(() => (window as unknown as { __marker?: string }).__marker)).toBeUndefined();
  await page.close();
});

test('an idle key locks itself after the journalist\'s own minutes', async () => {
  instance.store.journalists.setLockMinutes(desk.id, 1);
  await browser.context.clearCookies(); // a new login, so the page is rendered with the new setting
  const page = await browser.context.newPage();
  await page.clock.install();
  await loginInPage(page, instance.journalistUrl, 'desk', desk.passphrase, desk.code(1));
  await page.goto(`${instance.journalistUrl}/?filter=starred`);
  expect(await page.getAttribute('#workspace', 'data-lock-minutes')).toBe('1');
  await unlockKey(page, keyFile);
  await page.waitForFunction((s) => document.querySelector(s)?.textContent !== '', rowLabel(target.id), { timeout: 30_000 });
  // Activity keeps it: 50 s, a key press, 50 s more.
  await page.clock.fastForward(50_000);
  await page.keyboard.press('Shift');
  await page.clock.fastForward(50_000);
  expect(await page.textContent('#key-status')).toBe(UNLOCKED);
  // A minute with nothing: locked, and the label it had decrypted is gone.
  await page.clock.fastForward(15_000);
  await page.waitForFunction(() => document.getElementById('key-status')?.textContent === 'Key locked after 1 minute without activity.');
  expect(await page.textContent(rowLabel(target.id))).toBe('');
  await storageIsEmpty(page);
  await page.close();
});
