import { writeFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { translator } from '../../server/i18n/index.ts';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat: a browser that cannot encrypt (no WebCrypto, not a secure context) silently falls back
// to posting the plain form, so plaintext reaches the server while the page promised otherwise.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let work: string;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-nocrypto-'));
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

test('without WebCrypto the page says so, offers the no-JS form, and sends nothing', async () => {
  const page = await browser.context.newPage();
  await page.addInitScript(() => Object.defineProperty(globalThis, 'crypto', { value: undefined, configurable: true }));
  const sent: string[] = [];
  page.on('request', (r) => r.method() !== 'GET' && sent.push(r.url()));
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-unsupported', { state: 'visible' });
  expect(await page.textContent('#path-unsupported')).toMatch(/cannot encrypt files itself.*turn JavaScript off/s);
  expect(await page.isVisible('#path-js')).toBe(false);
  expect(await page.isVisible('#path-loading')).toBe(false);
  expect(await page.isDisabled('#send')).toBe(true);
  const file = path.join(work, 'secret.txt');
  await writeFile(file, 'plaintext that must not be posted');
  await page.setInputFiles('#files', file);
  await page.fill('#message', 'nor this');
  // Even a scripted submit is stopped before anything is posted.
  await page.evaluate(() => (document.getElementById('drop') as HTMLFormElement).requestSubmit());
  await page.waitForTimeout(500);
  expect(sent).toEqual([]);
  expect(page.url()).toBe(`${instance.sourceUrl}/`);
  expect(await instance.objectFiles()).toEqual([]);
});

/** A page whose script never arrives (a dropped Tor circuit), recording every non-GET request. */
async function pageWithoutScript() {
  const page = await browser.context.newPage();
  await page.route('**/static/js/**', (route) => route.abort('connectionreset'));
  const sent: string[] = [];
  page.on('request', (r) => void (r.method() !== 'GET' && sent.push(r.url())));
  return { page, sent };
}

test('while the page script has not loaded (or cannot), the form cannot be sent', async () => {
  const { page, sent } = await pageWithoutScript();
  await page.goto(instance.sourceUrl);
  expect(await page.isVisible('#path-loading')).toBe(true);
  expect(await page.textContent('#path-loading')).toMatch(/turn JavaScript off/);
  expect(await page.isDisabled('#send')).toBe(true);
  expect(await page.$('#send-plain')).toBeNull(); // the no-JS button exists only inside <noscript>
  await page.fill('#message', 'must not be posted');
  await page.press('#files', 'Enter');
  await page.evaluate(() => (document.getElementById('send') as HTMLButtonElement).click());
  await page.waitForTimeout(500);
  expect(sent).toEqual([]);
  expect(await instance.objectFiles()).toEqual([]);
});

test('the codename login cannot post the codename before the page script takes over', async () => {
  const { page, sent } = await pageWithoutScript();
  await page.goto(`${instance.sourceUrl}/login`);
  expect(await page.isDisabled('#codename-submit')).toBe(true);
  expect(await page.$('#codename-plain')).toBeNull();
  await page.fill('#codename-input', 'abacus zoom yoga yogurt yonder yoyo yummy');
  await page.press('#codename-input', 'Enter');
  await page.waitForTimeout(500);
  expect(sent).toEqual([]);
});

test('with JavaScript on, the page says files are locked (encrypted) on this device', async () => {
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  expect(await page.textContent('#path-js')).toBe(translator('en').text('source.path.js'));
});
