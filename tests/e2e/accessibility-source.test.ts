import { chromium, type Browser, type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations, axeViolationsWithoutScripts, withoutScripts } from '../helpers/axe.ts';
import { CHROMIUM_FLAGS } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { languageCode } from '../../server/i18n/cookie.ts';
import { translator } from '../../server/i18n/index.ts';
import { generateKeyPair } from '../../common/envelope/index.ts';

// The source's pages and states issue 25 added, under the newsroom's name, in every language, with
// scripting really off (Tor Browser's Safest level) and, for the send, with the page script
// (Standard): axe-core finds nothing, and each says what it should.
const LIMIT = 200_000;
let instance: Instance;
let browser: Browser;
let safest: { context: BrowserContext; page: Page; cdp: CDPSession };
let scripted: { context: BrowserContext; page: Page };
let visits = 0;
// The README's figure ("N page visits"): the last test checks this file made exactly these many.
const VISITS = 32;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(LIMIT), SEALDROP_PART_SIZE: String(64 * 1024) });
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  instance.store.settings.setBranding({ name: 'The Daily Lantern', welcome: '', guidelines: '' });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  const open = async () => {
    const context = await browser.newContext();
    return { context, page: await context.newPage() };
  };
  const s = await open();
  safest = { ...s, cdp: await withoutScripts(s.page) };
  scripted = await open();
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function auditSafest(what: string): Promise<void> {
  visits++;
  expect((await axeViolationsWithoutScripts(safest.page, safest.cdp)).violations, what).toEqual([]);
}
async function post(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(button)]);
}

describe.each(LANGUAGES.map((l) => l.tag))('%s', (tag) => {
  const t = translator(tag);
  test('scripting off: a too-large send kept as typed, a kept codename, the codename page with Leave, the page after leaving', async () => {
    const { page } = safest;
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    expect(await page.title()).toBe('The Daily Lantern');
    await page.fill('#message', 'Kept.');
    await page.setInputFiles('#files', { name: 'big.pdf', mimeType: 'application/pdf', buffer: Buffer.alloc(LIMIT + 300_000) });
    await post(page, '#send-plain');
    expect(await page.textContent('#refused h2')).toBe(t.text('error.title.notSent'));
    expect(await page.inputValue('#message')).toBe('Kept.');
    await auditSafest(`${tag} refused send`);

    await page.goto(`${instance.sourceUrl}/login`);
    await page.fill('#codename-input', 'not a codename');
    await post(page, '#codename-plain');
    expect(await page.inputValue('#codename-input')).toBe('not a codename');
    await auditSafest(`${tag} refused codename, kept`);

    await page.goto(`${instance.sourceUrl}/`);
    await page.fill('#message', 'A note.');
    await post(page, '#send-plain');
    expect(await page.isVisible('form.leave button')).toBe(true);
    await auditSafest(`${tag} codename page with Leave`);
    await post(page, 'form.leave button');
    expect(await page.textContent('h1')).toBe(t.text('source.left.title'));
    await auditSafest(`${tag} after leaving`);
  });

  test('Standard (page script): the JavaScript sentence, then Sent with Leave and no "close this page"', async () => {
    const { page } = scripted;
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    await page.waitForSelector('#path-js:not([hidden])');
    expect(await page.textContent('#path-js')).toBe(t.text('source.path.js'));
    expect(await page.isVisible('.nojs-only')).toBe(false);
    await page.fill('#message', 'A note from the page.');
    await page.click('#send');
    await page.check('#codename-confirm');
    await page.click('#codename-continue');
    await page.waitForSelector('#done:not([hidden])', { timeout: 60_000 });
    expect(await page.isVisible('#done form.leave button')).toBe(true);
    expect(await page.textContent('body')).not.toMatch(/close this page/i);
    visits++;
    expect((await axeViolations(page)), `${tag} sent, with Leave`).toEqual([]);
    await post(page, '#done form.leave button');
    expect(await page.textContent('h1')).toBe(t.text('source.left.title'));
  });

  test('scripting off: "Get my codename first", and a form sent twice ("already sent")', async () => {
    const { page } = safest;
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    await post(page, '#codename-first');
    expect(await page.textContent('main')).toContain(t.text('nojs.codename.firstHeading'));
    expect(await page.textContent('#codename')).toMatch(/^(\S+ ){6}\S+$/);
    await auditSafest(`${tag} codename first`);
    await post(page, 'form.leave button');

    // A new source sends; then the same form again, as the browser kept it (Back, Send): the
    // start page comes back with the first form's token, and the session from the first answer.
    await page.goto(`${instance.sourceUrl}/`);
    const once = (await page.getAttribute('#drop input[name=once]', 'value'))!;
    await page.fill('#message', 'Sent twice.');
    await post(page, '#send-plain');
    expect(await page.isVisible('#codename')).toBe(true);
    await page.route(`${instance.sourceUrl}/`, async (route) => {
      const response = await route.fetch();
      await route.fulfill({ response, body: (await response.text()).replace(/name="once" value="[\w-]+"/g, `name="once" value="${once}"`) });
    });
    await page.goto(`${instance.sourceUrl}/`);
    await page.unroute(`${instance.sourceUrl}/`);
    await page.fill('#message', 'Sent twice.');
    await post(page, '#send-plain');
    expect(await page.textContent('main')).toContain(t.text('sent.already'));
    await auditSafest(`${tag} already sent`);
    await post(page, 'form.leave button');
  });
});

// Last: with two desks the send form needs a choice, which the tests above do not make.
test('scripting off, two desks: the radio list (fieldset, legend, one label each) in every language', async () => {
  const jo = instance.store.journalists.get('jo').id;
  for (const [name, text] of [['investigations', 'Investigations'], ['local', 'Local news']] as const) {
    instance.store.desks.addMember(instance.store.desks.create(name, { en: { name: text, description: `${text}: what it covers` } }, 'cli').id, jo);
  }
  const { page } = safest;
  for (const { tag } of LANGUAGES) {
    await page.goto(`${instance.sourceUrl}/?lang=${languageCode(tag)}`);
    expect(await page.textContent('#desks legend')).toBe(translator(tag).text('source.desk.legend'));
    expect(await page.locator('#desks input[type=radio][required]').count()).toBe(2);
    await auditSafest(`${tag} desk choice`);
  }
});

test("the README's figure: page visits audited", () => {
  expect(visits).toBe(VISITS);
});
