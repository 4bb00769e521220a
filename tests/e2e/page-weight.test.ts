import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { submitThroughPage } from '../helpers/submit.ts';

// A source on a slow Tor circuit downloads all of this before anything is encrypted.
const BUDGET_GZIP_BYTES = 100 * 1024;
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

test('the JavaScript a source loads to send a message stays within the gzip budget, all from this origin', async () => {
  const scripts = new Map<string, Buffer>();
  const urls: string[] = [];
  browser.context.on('request', (r) => void urls.push(r.url()));
  browser.context.on('response', async (r) => {
    if (r.request().resourceType() === 'script') scripts.set(r.url(), await r.body());
  });
  await submitThroughPage(browser.context, instance.sourceUrl, [], 'A message, so that every crypto chunk loads.');
  expect(urls.every((u) => u.startsWith(`${instance.sourceUrl}/`))).toBe(true);
  expect([...scripts.keys()].some((u) => u.includes('/chunks/'))).toBe(true);
  const gzipped = [...scripts.values()].reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
  console.log(JSON.stringify({ name: 'source-page-js', scripts: scripts.size, gzipBytes: gzipped }));
  expect(gzipped).toBeLessThan(BUDGET_GZIP_BYTES);
});
