import Database from 'better-sqlite3';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { axeViolations } from '../helpers/axe.ts';
import { CHROMIUM_FLAGS } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { languageCode } from '../../server/i18n/cookie.ts';
import { translator } from '../../server/i18n/index.ts';

// Admin → Audit log (issue 23) in Chromium as on a phone (360 px), in every language: axe-core
// finds nothing, nothing scrolls sideways (64-character hashes and lists of fingerprints
// included), intact and broken alike.
const PHONE = { width: 360, height: 740 };
let instance: Instance;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  instance = await startInstance();
  const admin = await makeAccount(instance, 'root', { isAdmin: true });
  const fingerprints = ['3CE24DDAF4A61270A6E82433B7F09D6D9FEDD615', '7C30D707EC2451075B003A4E93F9C1EB9B6446CB'];
  instance.store.audit.append({ actor: 'anonymous', action: 'login.failed', detail: { username: 'a-very-long-username-someone-typed-instead-of-theirs' } });
  instance.store.audit.append({ actor: { username: 'root' }, action: 'access.key', detail: { added: fingerprints, removed: [], journalist: 'root', requestedBy: 'root' } });
  instance.store.audit.append({ actor: 'system', action: 'future.action', detail: { n: 1 }, sourceCaused: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  page = await (await browser.newContext({ viewport: PHONE })).newPage();
  await page.goto(`${instance.journalistUrl}/login`);
  await page.fill('input[name=username]', 'root');
  await page.fill('input[name=passphrase]', admin.passphrase);
  await page.fill('input[name=code]', admin.code());
  await Promise.all([page.waitForURL(`${instance.journalistUrl}/`), page.click('form[action="/login"] button[type=submit]')]);
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

async function check(what: string): Promise<void> {
  expect(await axeViolations(page), what).toEqual([]);
  expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), `${what} at ${PHONE.width} px`).toBeLessThanOrEqual(PHONE.width);
}

test.each(LANGUAGES.map((l) => l.tag))('%s: the audit log, intact', async (tag) => {
  await page.goto(`${instance.journalistUrl}/admin/audit?lang=${languageCode(tag)}`);
  expect(await page.getAttribute('html', 'lang')).toBe(tag);
  expect(await page.textContent('h1')).toBe(translator(tag).text('staff.audit.heading'));
  expect(await page.getAttribute('nav.admin-sections a[aria-current="page"]', 'href')).toBe('/admin/audit');
  expect(await page.locator('li.audit-entry').count()).toBe(instance.store.audit.head().seq);
  await check(`${tag} audit log`);
});

test('broken at an entry: said at the top, as an alert', async () => {
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
  db.prepare('UPDATE audit_log SET detail = ? WHERE seq = 2').run('{"added":[]}');
  db.close();
  await page.goto(`${instance.journalistUrl}/admin/audit?lang=${languageCode('en')}`);
  expect(await page.textContent('#audit-status[role=alert]')).toMatch(/^Broken at entry 2: /);
  await check('en audit log, broken');
});
