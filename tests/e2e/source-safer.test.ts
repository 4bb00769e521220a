import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { translator } from '../../server/i18n/index.ts';
import { languageCode } from '../../server/i18n/cookie.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';

// Issue 25 at Tor Browser's Safer level (Firefox ESR with the JIT and WebAssembly off), in each
// language: the page script takes over and says the one JavaScript sentence, the limit reads in MB
// "each", the no-JavaScript words are hidden, and the tab is titled by the newsroom.
const LIMIT = 200_000;
let instance: Instance;
let browser: Browser;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(LIMIT) });
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  instance.store.settings.setBranding({ name: 'The Daily Lantern', welcome: '', guidelines: '' });
  browser = await launchFirefox('safer');
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

describe.each(LANGUAGES.map((l) => l.tag))('%s', (tag) => {
  const t = translator(tag);
  test('the JavaScript sentence, the limit each, no Safest-only words', async () => {
    const page = await browser.newPage();
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    const shown = (selector: string) => page.evaluate((s) => (document.querySelector(s) as HTMLElement | null)?.offsetParent != null, selector);
    await until(() => shown('#path-js'), 30_000, 'the page script to take over');
    const text = await page.evaluate(() => document.body.innerText);
    expect(text).toContain(t.text('source.path.js'));
    expect(text).not.toContain(t.text('source.path.nojs'));
    expect(text).toContain(t.text('form.documentsHint', { size: '0.2 MB' }));
    expect(await shown('.nojs-only')).toBe(false);
    expect(await shown('#codename-first')).toBe(false);
    expect(await page.title()).toBe('The Daily Lantern');
    await page.close();
  }, 60_000);
});
