import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { loginInPage } from '../helpers/pages.ts';
import { newSource } from '../helpers/sources.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { translator } from '../../server/i18n/index.ts';

// Every page passes axe-core (WCAG 2.x A and AA rules) with zero violations: the source pages with
// their scripts and without (as Tor Browser's Safest level shows them), and the journalist pages.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let account: Awaited<ReturnType<typeof makeAccount>>;

beforeAll(async () => {
  instance = await startInstance();
  account = await makeAccount(instance, 'desk', { isAdmin: true });
  const source = newSource(instance.store);
  const id = instance.store.submissions.create(source.id, 1);
  await instance.store.submissions.putPart(id, 1, new Uint8Array(64));
  await instance.store.submissions.putManifest(id, new Uint8Array(64));
  instance.store.submissions.complete(id);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function visit(path: string, base: string, o: { scripts?: boolean } = {}): Promise<string[]> {
  const page = await browser.context.newPage();
  try {
    if (o.scripts === false) await page.route('**/static/js/**', (route) => route.abort());
    await page.goto(`${base}${path}`);
    const asked = /[?&]lang=([^&]+)/.exec(path)?.[1];
    if (asked) {
      // The switch's redirect: the address loses `lang`, and the page is in the language asked for.
      expect(page.url()).not.toContain('lang=');
      expect(await page.evaluate(() => document.documentElement.lang)).toBe(asked);
    }
    if (o.scripts !== false && base === instance.sourceUrl && /^\/(\?|$)/.test(path)) await page.waitForSelector('#path-js', { state: 'visible' });
    return await axeViolations(page);
  } finally {
    await page.close();
  }
}

// Every source page in every shipped language (the switch's address chooses it: ?lang=, then its redirect).
const SOURCE_PAGES = ['/', '/login', '/sent', '/guide', '/no-such-page'];
const pagesIn = (tag: string) => SOURCE_PAGES.map((p) => [tag, p] as const);

describe.each(LANGUAGES.map((l) => l.tag))('source pages in %s', (tag) => {
  test.each(pagesIn(tag))('%s %s with JavaScript', async (lang, path) => {
    expect(await visit(`${path}?lang=${lang}`, instance.sourceUrl)).toEqual([]);
  });
  test.each(pagesIn(tag))('%s %s without JavaScript', async (lang, path) => {
    expect(await visit(`${path}?lang=${lang}`, instance.sourceUrl, { scripts: false })).toEqual([]);
  });
});

describe('journalist pages', () => {
  test.each(LANGUAGES.map((l) => l.tag))('login and enrolment in %s', async (tag) => {
    expect(await visit(`/login?lang=${tag}`, instance.journalistUrl)).toEqual([]);
    const token = instance.store.journalists.createEnrolment(account.id);
    expect(await visit(`/enrol/${token}?lang=${tag}`, instance.journalistUrl)).toEqual([]);
  });
  // One login (a TOTP code is good once), then the inbox and admin pages in every language.
  test('inbox and admin, logged in, in every language', async () => {
    const page = await browser.context.newPage();
    // The visits above left this browser's language cookie on the last language: back to English first.
    await page.goto(`${instance.journalistUrl}/login?lang=en`);
    await loginInPage(page, instance.journalistUrl, 'desk', account.passphrase, account.code());
    expect(await axeViolations(page)).toEqual([]);
    for (const { tag, dir } of LANGUAGES) {
      for (const path of ['/', '/admin']) {
        await page.goto(`${instance.journalistUrl}${path}?lang=${tag}`);
        expect(await page.evaluate(() => [document.documentElement.lang, document.documentElement.dir])).toEqual([tag, dir]);
        expect(await page.textContent('h1')).toBe(translator(tag).text(path === '/' ? 'staff.inbox.title' : 'staff.admin.title'));
        expect(await axeViolations(page), `${tag} ${path}`).toEqual([]);
      }
    }
    await page.goto(`${instance.journalistUrl}/?lang=en`);
    await page.close();
  });
});
