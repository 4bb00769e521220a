import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { translator } from '../../server/i18n/index.ts';
import { languageCode } from '../../server/i18n/cookie.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';

// Issue 25 at Tor Browser's Safest level (Firefox ESR, JavaScript off), in each language: the one
// sentence for this level, "Before you send" before the Send button, a too-large send refused in MB
// with the message kept, a wrong codename kept in its field, the newsroom's name as the tab title,
// and Leave after a send. (puppeteer over BiDi: focus + Enter, no page.click or waitForSelector.)
const LIMIT = 200_000; // "0.2 MB"
let instance: Instance;
let browser: Browser;
let dir: string;
let big: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(LIMIT), SEALDROP_PART_SIZE: String(64 * 1024) });
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  instance.store.settings.setBranding({ name: 'The Daily Lantern', welcome: '', guidelines: '' });
  browser = await launchFirefox('safest');
  dir = mkdtempSync(join(tmpdir(), 'sealdrop-safest-'));
  big = join(dir, 'big.pdf');
  writeFileSync(big, Buffer.alloc(LIMIT + 300_000, 7)); // more than one send carries, framing included
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function press(page: Page, selector: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.press('Enter');
}
const text = (page: Page) => page.evaluate(() => document.body.innerText);
// Read with one evaluate each (element handles go stale across BiDi navigations).
const visible = (page: Page, selector: string) => page.evaluate((s) => (document.querySelector(s) as HTMLElement | null)?.offsetParent != null, selector);
const value = (page: Page, selector: string) => page.evaluate((s) => (document.querySelector(s) as HTMLInputElement | null)?.value, selector);
const has = (page: Page, selector: string) => page.evaluate((s) => document.querySelector(s) !== null, selector);

describe.each(LANGUAGES.map((l) => l.tag))('%s', (tag) => {
  const t = translator(tag);
  const plain = (key: string, values?: Record<string, string>) => t.text(key, values);

  test('the Safest page, a too-large send, a wrong codename and Leave', async () => {
    const page = await browser.newPage();
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    await until(async () => (await page.content()).includes(`lang="${tag}"`), 20_000, 'the page in its language');
    expect(await page.title()).toBe('The Daily Lantern');
    expect(await page.evaluate(() => document.querySelector('.newsroom-name')?.textContent)).toBe('The Daily Lantern');
    // One sentence for this level; the JavaScript one is not shown.
    expect(await text(page)).toContain(plain('source.path.nojs'));
    expect(await visible(page, '#path-js')).toBe(false);
    expect(await visible(page, '#send')).toBe(false);
    expect(await text(page)).toContain(plain('form.documentsHintNojs', { size: '0.2 MB' }));
    const order = await page.evaluate(() => {
      const all = [...document.querySelectorAll('h2, #send-plain')];
      return all.map((e) => e.id || e.textContent);
    });
    expect(order.indexOf(plain('source.before.heading'))).toBeGreaterThanOrEqual(0);
    expect(order.indexOf(plain('source.before.heading'))).toBeLessThan(order.indexOf('send-plain'));

    // Too large: refused in MB, the form comes back with the message as typed.
    await page.focus('#message');
    await page.keyboard.type('Page 4 matters.');
    await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(big);
    await press(page, '#send-plain');
    await until(async () => (await page.content()).includes('id="refused"'), 60_000, 'the refusal');
    expect(await page.title()).toBe('The Daily Lantern');
    expect(await text(page)).toContain(plain('error.title.notSent'));
    expect(await text(page)).toContain(plain('error.nojsTooLarge', { size: '0.2 MB' }));
    expect(await value(page, '#message')).toBe('Page 4 matters.');
    expect(await text(page)).not.toContain('Request refused');

    // A wrong codename stays in its field.
    await page.goto(`${instance.sourceUrl}/login`);
    await page.focus('#codename-input');
    await page.keyboard.type('11111 22222 33333');
    await press(page, '#codename-plain');
    await until(async () => (await page.content()).includes('role="alert"'), 60_000, 'the refused codename');
    expect(await value(page, '#codename-input')).toBe('11111 22222 33333');

    // After a send, the codename page offers Leave; leaving says what to do next.
    await page.goto(`${instance.sourceUrl}/`);
    await page.focus('#message');
    await page.keyboard.type('A short note.');
    await press(page, '#send-plain');
    await until(async () => (await text(page).catch(() => '')).includes(plain('nojs.codename.heading')), 60_000, 'the codename page');
    expect(await text(page)).not.toMatch(/close this page/i);
    await press(page, 'form.leave button');
    await until(async () => (await text(page).catch(() => '')).includes(plain('source.left.title')), 20_000, 'the page after leaving');
    expect(await text(page)).toContain(plain('source.left.body'));
    expect(await has(page, 'form.leave')).toBe(false);
    await page.goto(`${instance.sourceUrl}/guide`);
    expect(await has(page, 'form.leave')).toBe(false); // the browser no longer holds the session
    await page.close();
  }, 240_000);
});

test('Safest, codename first: then a send within that conversation, and a double press of Send stores once', async () => {
  const t = translator('en');
  const page = await browser.newPage();
  await page.goto(`${instance.sourceUrl}/?lang=${languageCode('en')}`);
  expect(await visible(page, '#codename-first')).toBe(true);
  const before = instance.rows();
  await press(page, '#codename-first');
  await until(async () => (await text(page).catch(() => '')).includes(t.text('nojs.codename.firstHeading')), 60_000, 'the codename page');
  expect(instance.rows().sources!.length).toBe(before.sources!.length + 1);
  await press(page, 'a[href="/"]');
  await until(async () => (await has(page, '#send-plain')) && (await has(page, 'form.leave')), 20_000, 'the start page, logged in');
  expect(await has(page, '#codename-first')).toBe(false);
  await page.focus('#message');
  await page.keyboard.type('Twice pressed.');
  await page.focus('#send-plain');
  await page.keyboard.press('Enter');
  await page.keyboard.press('Enter').catch(() => undefined);
  await until(async () => (await text(page).catch(() => '')).includes(t.text('sent.nojs').slice(0, 40)), 60_000, 'the Sent page');
  await new Promise((r) => setTimeout(r, 1000)); // a second request, if one went, has arrived
  const after = instance.rows();
  expect(after.sources!.length).toBe(before.sources!.length + 1);
  expect(after.submissions!.length).toBe(before.submissions!.length + 1);
  await page.close();
}, 180_000);
