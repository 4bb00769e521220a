import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { CHROMIUM_FLAGS } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Issue 25, Standard level (Chromium, page script): sending more from the same page takes the last
// "Sent" notice away while the next send runs, and numbers its files on from the previous ones.
let instance: Instance;
let browser: Browser;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

test('a second send from the same page: the first "Sent" goes, files are numbered on', async () => {
  const page = await (await browser.newContext()).newPage();
  await page.goto(`${instance.sourceUrl}/`);
  await page.waitForSelector('#send:not([disabled])');
  await page.setInputFiles('#files', [{ name: 'one.txt', mimeType: 'text/plain', buffer: Buffer.from('one') }, { name: 'two.txt', mimeType: 'text/plain', buffer: Buffer.from('two') }]);
  await page.click('#send');
  await page.check('#codename-confirm');
  await page.click('#codename-continue');
  await page.waitForSelector('#done:not([hidden])', { timeout: 60_000 });
  expect(await page.locator('#progress .item').allTextContents()).toEqual([expect.stringContaining('File 1 (one.txt)'), expect.stringContaining('File 2 (two.txt)')]);

  await page.setInputFiles('#files', { name: 'three.txt', mimeType: 'text/plain', buffer: Buffer.from('three') });
  // The notice is gone from the moment the second send starts, and back once it has arrived.
  const hiddenOnSend = page.waitForFunction(() => document.getElementById('done')!.hidden, undefined, { timeout: 30_000 });
  await page.click('#send');
  await hiddenOnSend;
  await page.waitForSelector('#done:not([hidden])', { timeout: 60_000 });
  expect(await page.locator('#progress .item').nth(2).textContent()).toContain('File 3 (three.txt)');
  expect(instance.rows().submissions!.length).toBe(3);
});
