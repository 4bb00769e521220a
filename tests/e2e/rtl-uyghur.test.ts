import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { sendAndConfirm } from '../helpers/submit.ts';
import { translator } from '../../server/i18n/index.ts';

// Uyghur is written right to left: the layout must mirror (CSS logical properties), Latin text
// (codenames, the onion address) must stay isolated left to right, nothing may be clipped or
// overflow a phone's width, and the page script must speak Uyghur too.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
const ug = translator('ug');

beforeAll(async () => {
  instance = await startInstance();
  await makeAccount(instance, 'desk');
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

type Layout = { dir: string; lang: string; direction: string; labelGapRight: number; labelGapLeft: number; borderRight: string; borderLeft: string; codenameDirection: string; overflowX: number; clipped: string[] };

/** Measured in the page: computed direction, where text starts, which side the accent border is on, overflow and clipping. */
const measure = () => {
  const main = document.querySelector('main')!.getBoundingClientRect();
  const label = document.querySelector('label[for="message"]')!;
  const range = document.createRange();
  range.selectNodeContents(label);
  const text = range.getBoundingClientRect();
  const path = getComputedStyle(document.getElementById('path-js')!);
  const clipped = [...document.querySelectorAll('main *')]
    .filter((el) => el instanceof HTMLElement && el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).overflowX !== 'visible')
    .map((el) => `${el.tagName}#${el.id}.${el.className}`);
  return {
    dir: document.documentElement.dir,
    lang: document.documentElement.lang,
    direction: getComputedStyle(document.querySelector('main')!).direction,
    labelGapRight: main.right - text.right,
    labelGapLeft: text.left - main.left,
    borderRight: path.borderRightWidth,
    borderLeft: path.borderLeftWidth,
    codenameDirection: getComputedStyle(document.getElementById('codename')!).direction,
    overflowX: document.documentElement.scrollWidth - window.innerWidth,
    clipped,
  };
};

test('the source page in Uyghur mirrors, isolates Latin text, fits a phone, and the script speaks Uyghur', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  await page.goto(`${instance.sourceUrl}/?lang=ug`);
  await expect.poll(() => page.isVisible('#path-js')).toBe(true);
  const layout = (await page.evaluate(measure)) as Layout;
  expect(layout).toMatchObject({ dir: 'rtl', lang: 'ug', direction: 'rtl', borderRight: '4px', borderLeft: '0px', codenameDirection: 'ltr', clipped: [] });
  expect(layout.labelGapRight).toBeLessThan(2); // text starts at the right edge…
  expect(layout.labelGapLeft).toBeGreaterThan(100); // …and a short label ends far from the left one
  expect(layout.overflowX).toBeLessThanOrEqual(0);
  expect(await page.textContent('#path-js')).toContain(ug.text('source.path.js').slice(0, 20));

  // The page script's own words: the codename panel, the progress line and the end state.
  await page.fill('#message', 'ئۇچۇر: بۇ سىناق. test-canary');
  const codename = await sendAndConfirm(page);
  expect(codename?.split(' ')).toHaveLength(7);
  await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
  expect(await page.textContent('#codename-panel h2')).toBe(ug.text('codename.heading'));
  expect((await page.textContent('#progress'))?.trim()).toBe(ug.text('client.sent', { label: ug.text('client.message') }));
  expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth)).toBeLessThanOrEqual(0);
  await page.close();
});

test('the guide and the login page in Uyghur: right to left, nothing overflows, the codename field stays left to right', async () => {
  const page = await browser.context.newPage();
  await page.setViewportSize({ width: 360, height: 740 });
  for (const path of ['/guide', '/login']) {
    await page.goto(`${instance.sourceUrl}${path}?lang=ug`);
    expect(await page.evaluate(() => [document.documentElement.dir, getComputedStyle(document.body).direction])).toEqual(['rtl', 'rtl']);
    expect(await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth), path).toBeLessThanOrEqual(0);
    if (path !== '/guide') continue;
    // Commands (<code>) and Tor Browser's own labels (<bdi>, English in Latin letters) stay left to
    // right, isolated from the Uyghur around them: "Request bridges…" must not read "…Request bridges".
    const isolated = await page.evaluate(() =>
      ['code', 'bdi'].map((tag) => [...document.querySelectorAll(`main ${tag}`)].map((el) => `${tag} ${getComputedStyle(el).direction} ${getComputedStyle(el).unicodeBidi}: ${el.textContent}`)));
    const [codes, labels] = isolated as [string[], string[]];
    expect(codes.length).toBeGreaterThanOrEqual(2);
    expect(codes.filter((c) => !c.startsWith('code ltr isolate:'))).toEqual([]);
    expect(labels.some((l) => l.endsWith(': Request bridges…'))).toBe(true);
    expect(labels.filter((l) => !l.startsWith('bdi ltr isolate:'))).toEqual([]);
  }
  expect(await page.evaluate(() => getComputedStyle(document.getElementById('codename-input')!).direction)).toBe('ltr');
  expect(await page.textContent('h1')).toBe(ug.text('login.title'));
  await page.close();
});
