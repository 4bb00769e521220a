import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { storeSubmission, unlockKey } from '../helpers/conversation.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loginInPage } from '../helpers/pages.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// The list in Chromium with a key unlocked: labels decrypted on its lines and searched in the
// page (never sent), bulk buttons only with a selection, and the delete confirmations naming
// designation, decrypted label and item count, each followed by a notice; the key stays unlocked.
let instance: Instance;
let work: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let account: Awaited<ReturnType<typeof makeAccount>>;
let keyFile: string;
const sources: Record<'pilot' | 'driver' | 'clerk', { id: string; designation: string }> = {} as never;
const LABELS = { pilot: 'Harbour pilot', driver: 'Ministry driver', clerk: 'Customs clerk' };

beforeAll(async () => {
  instance = await startInstance();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-list-'));
  account = await makeAccount(instance, 'jo');
  keyFile = path.join(work, 'jo.asc');
  await writeFile(keyFile, account.privateKey);
  const recipients = [(await readJournalistKey(account.publicKey)).key];
  const items = { pilot: 2, driver: 1, clerk: 1 };
  for (const name of ['pilot', 'driver', 'clerk'] as const) {
    const s = newSource(instance.store);
    sources[name] = s;
    for (let i = 0; i < items[name]; i++) await storeSubmission(instance.store, s.id, { name: MESSAGE_NAME, type: MESSAGE_TYPE, data: new TextEncoder().encode(`note ${i}`), recipients });
    const sealed = await sealText({ kind: 'label', text: LABELS[name], recipients });
    instance.store.sources.setLabel(s.id, Buffer.from(sealed).toString('base64'));
  }
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

/** axe-core clean, and no sideways scrolling on a 360 px phone screen. */
async function fitsPhone(page: Page, what: string): Promise<void> {
  expect(await axeViolations(page), what).toEqual([]);
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), what).toBeLessThanOrEqual(360);
}

const line = (page: Page, name: keyof typeof sources) => page.locator(`li.conversation[data-source="${sources[name].id}"]`);

test('labels searched in the page; bulk delete and a conversation delete confirmed by name, then a notice; the key stays', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  const sent: string[] = [];
  page.on('request', (r) => sent.push(`${r.url()} ${r.postData() ?? ''}`));
  await loginInPage(page, instance.journalistUrl, 'jo', account.passphrase, account.code());
  expect(await page.isVisible('#label-search')).toBe(false);
  // The server renders the bulk buttons usable (a page without its script still works); the page
  // script disables them while nothing is selected: wait for it to have run, not for a fixed moment.
  await page.waitForSelector('button.bulk-action[value="delete"]:disabled', { state: 'attached' });
  expect(await page.isDisabled('button.bulk-action[value="delete"]')).toBe(true);
  await unlockKey(page, keyFile);
  await line(page, 'pilot').locator('.source-label:text("Harbour pilot")').waitFor();

  // Search by label, any case: only the page knows what was typed (requests from here on are kept).
  sent.length = 0;
  await page.fill('#label-filter', 'MINISTRY');
  await page.waitForSelector(`#label-matches a[href="/conversations/${sources.driver.id}"]`);
  expect(await page.locator('#label-matches li').allTextContents()).toEqual([`${sources.driver.designation} · Ministry driver`]);
  await page.fill('#label-filter', 'r');
  await page.waitForFunction(() => document.querySelectorAll('#label-matches li').length === 3);
  expect(sent.some((s) => s.includes('/labels'))).toBe(true);
  await fitsPhone(page, 'the list with its search by name');
  expect(sent.filter((s) => /ministry|harbour|customs|\bpilot|driver|clerk/i.test(s))).toEqual([]);

  // Bulk delete of one: the confirmation names it, with its decrypted label and item count.
  await line(page, 'pilot').locator('input.select').check();
  expect(await page.isDisabled('button.bulk-action[value="delete"]')).toBe(false);
  await page.click('button.bulk-action[value="delete"]');
  await page.waitForSelector('h1:text-is("Delete 1 conversation?")');
  const confirmLine = page.locator(`li.confirm-source[data-source="${sources.pilot.id}"]`);
  await confirmLine.locator('.source-label:text("Harbour pilot")').waitFor();
  expect(await confirmLine.textContent()).toBe(`Harbour pilot · ${sources.pilot.designation} · 2 items`);
  expect(await page.getAttribute('#confirm', 'class')).toBe('danger');
  await fitsPhone(page, 'the bulk delete confirmation');
  await page.click('#confirm');
  await page.waitForSelector('.notice:text-is("Deleted 1 conversation.")');
  expect(await line(page, 'pilot').count()).toBe(0);
  expect(() => instance.store.sources.get(sources.pilot.id)).toThrow();

  // One conversation from its own page: designation, label, one item; Cancel first leaves it be.
  await page.click(`a[href="/conversations/${sources.driver.id}"]`);
  await page.click(`a[href="/sources/${sources.driver.id}/delete"]`);
  await page.waitForSelector('h1:text-is("Delete this source?")');
  await page.locator(`li.confirm-source .source-label:text("Ministry driver")`).waitFor();
  expect(await page.textContent('li.confirm-source .items')).toBe('1 item');
  await page.click('#cancel');
  await page.waitForSelector(`a[href="/sources/${sources.driver.id}/delete"]`);
  expect(instance.store.sources.get(sources.driver.id).id).toBe(sources.driver.id);
  await page.click(`a[href="/sources/${sources.driver.id}/delete"]`);
  await page.click('#confirm');
  await page.waitForSelector(`.notice:text-is("Deleted the conversation with ${sources.driver.designation} (1 item).")`);
  expect(() => instance.store.sources.get(sources.driver.id)).toThrow();

  // Every step was client navigation: the key is still unlocked, the remaining label still shown.
  expect(await page.isVisible('#lock-key')).toBe(true);
  await line(page, 'clerk').locator('.source-label:text("Customs clerk")').waitFor();
  await page.close();
});
