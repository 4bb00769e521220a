import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';

// The server may stop between storing an item's last piece and completing it: GET /api/sends then
// says every piece is held but the item is not done. The page must send the manifest alone again
// (which completes a whole item), not find nothing left to send and tell the source it was lost.
// A returning (logged-in) source: nothing else sends /api/sends/0 for it (a new source's recover()
// would, to register again), so that request is completeHeld's. The real server already completed
// the item on request 1 (only the GET is faked): the manifest alone must be answered "done".
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  instance = await startInstance();
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

test('an item held whole but not complete is completed by the manifest alone, and the page says Sent', async () => {
  const { codename } = await registerApiSource(instance.sourceUrl);
  const page = await browser.context.newPage();
  await page.goto(`${instance.sourceUrl}/login`);
  await page.fill('#codename-input', codename);
  await page.click('#codename-submit');
  await page.waitForSelector('#conversation', { state: 'visible', timeout: 30_000 });
  await page.waitForSelector('#send:not([disabled])');
  const sent: string[] = [];
  let cut = 0;
  // The one request reaches the server; its answer is lost.
  await page.route('**/api/sends/*', async (route) => {
    sent.push(new URL(route.request().url()).pathname);
    if (cut > 0) return route.continue();
    cut++;
    await route.fetch();
    return route.abort('connectionreset');
  });
  // What a server that stopped before completing would answer: every piece held, not done.
  await page.route('**/api/sends', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify({ done: false, parts: [1], manifest: true }) }));
  const answers: Promise<unknown>[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname === '/api/sends/0') answers.push(r.json());
  });
  await page.fill('#message', `held ${randomBytes(4).toString('hex')}`);
  await page.click('#send');
  await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 120_000 });
  expect(await page.isVisible('#failed')).toBe(false);
  expect(sent).toEqual(['/api/sends/1', '/api/sends/0']);
  expect(answers).toHaveLength(1);
  expect(await answers[0]).toMatchObject({ done: true });
  const rows = instance.rows().submissions as { state: string }[];
  expect(rows.map((r) => r.state)).toEqual(['complete']);
}, 180_000);
