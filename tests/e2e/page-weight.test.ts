import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { SEAL_WORKER_URL } from '../../client/source/seal-pool.ts';
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

test('the JavaScript a source loads to send a message, and the sealing workers\' script, stays within the gzip budget, all from this origin', async () => {
  const scripts = new Map<string, Buffer>();
  const urls: string[] = [];
  browser.context.on('request', (r) => void urls.push(r.url()));
  browser.context.on('response', async (r) => {
    if (r.request().resourceType() === 'script') scripts.set(r.url(), await r.body());
  });
  await submitThroughPage(browser.context, instance.sourceUrl, [], 'A message, so that every crypto chunk loads.');
  expect(urls.every((u) => u.startsWith(`${instance.sourceUrl}/`))).toBe(true);
  expect([...scripts.keys()].some((u) => u.includes('/chunks/'))).toBe(true);
  // A file of several parts also loads the sealing workers' script (seal-pool.ts): counted too.
  expect([...scripts.keys()].some((u) => u.endsWith(SEAL_WORKER_URL))).toBe(false);
  const worker = await fetch(`${instance.sourceUrl}${SEAL_WORKER_URL}`);
  expect(worker.status).toBe(200);
  scripts.set(SEAL_WORKER_URL, Buffer.from(await worker.arrayBuffer()));
  const gzipped = [...scripts.values()].reduce((sum, body) => sum + gzipSync(body, { level: 9 }).length, 0);
  console.log(JSON.stringify({ name: 'source-page-js', scripts: scripts.size, gzipBytes: gzipped, workerGzipBytes: gzipSync(scripts.get(SEAL_WORKER_URL)!, { level: 9 }).length }));
  expect(gzipped).toBeLessThan(BUDGET_GZIP_BYTES);
});
