import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchFirefox } from '../helpers/firefox.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { translator } from '../../server/i18n/index.ts';

// Tor Browser sends "Accept-Language: en-US" whatever its reader speaks, so the visible switch
// must work at the Safest level (no JavaScript): plain links, then a browser-session cookie.
let instance: Instance;
let browser: Browser;
const ug = translator('ug');

beforeAll(async () => {
  instance = await startInstance();
  await makeAccount(instance, 'desk');
  browser = await launchFirefox('safest');
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

/** The page's language and direction, read from its markup (the page may still be loading). */
async function htmlLang(page: Page): Promise<string[]> {
  const m = /<html lang="([^"]+)" dir="([^"]+)"/.exec(await page.content().catch(() => ''));
  return m ? [m[1]!, m[2]!] : [];
}

/** Presses Enter on an element: page.click hangs with JavaScript off. */
async function press(page: Page, selector: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.press('Enter');
}

test('without JavaScript: switch to Uyghur, stay in it across pages, send, and read the codename and a refusal in Uyghur', async () => {
  const page = await browser.newPage();
  await page.goto(`${instance.sourceUrl}/`);
  expect(await htmlLang(page)).toEqual(['en', 'ltr']);

  await press(page, 'a[hreflang="ug"]');
  await until(async () => (await htmlLang(page))[0] === 'ug', 20_000, 'the Uyghur page');
  expect(await htmlLang(page)).toEqual(['ug', 'rtl']);
  expect(await page.$eval('h1', (h) => h.textContent)).toBe(ug.text('source.heading'));
  // The switch's redirect leaves no language in the address (nor so in a Referer or a form's target).
  expect(page.url()).toBe(`${instance.sourceUrl}/`);

  // Remembered for this browser session only, with no address parameter.
  await page.goto(`${instance.sourceUrl}/login`);
  expect(await htmlLang(page)).toEqual(['ug', 'rtl']);
  expect(await page.$eval('h1', (h) => h.textContent)).toBe(ug.text('login.title'));

  // A refusal page speaks the same language (an empty form).
  await page.goto(`${instance.sourceUrl}/`);
  await press(page, '#send-plain');
  await until(async () => page.url().endsWith('/submit'), 20_000, 'the refusal');
  expect(await page.content()).toContain(ug.text('error.nothingChosen'));

  // The server-made codename, explained in Uyghur, with the words and the digits left to right.
  await page.goto(`${instance.sourceUrl}/`);
  await page.focus('#message');
  await page.keyboard.type('Salam. test');
  await press(page, '#send-plain');
  await until(async () => (await page.content()).includes(ug.text('nojs.codename.heading')), 60_000, 'the codename page');
  expect(await page.$eval('#codename', (p) => [p.getAttribute('dir'), p.textContent?.split(' ').length])).toEqual(['ltr', 7]);
  expect(await page.$eval('#codename-digits', (p) => p.textContent)).toMatch(/^[1-6]{5}( [1-6]{5}){6}$/);
  expect(await page.content()).toContain(ug.text('codename.words').slice(0, 30));

  // The codename page has no switch (following it would leave the only page showing the codename);
  // the start page's switch leads back to English.
  expect(await page.$('nav.languages')).toBeNull();
  await page.goto(`${instance.sourceUrl}/`);
  await press(page, 'a[hreflang="en"]');
  await until(async () => (await htmlLang(page))[0] === 'en', 20_000, 'the English page');
  expect(await htmlLang(page)).toEqual(['en', 'ltr']);
  expect(page.url()).toBe(`${instance.sourceUrl}/`);
  await page.close();
}, 120_000);
