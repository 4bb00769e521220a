import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { codenameDigits } from '../../common/codename.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startWithJournalist, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

// Issue 25 with JavaScript in Chromium: Leave ends the session the page held in memory on the
// server too (a copy of its token is refused afterwards), and a codename made before the 60 words
// were replaced logs in typed as digits (the page tries the older reading when the first is refused).
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  ({ instance } = await startWithJournalist());
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

const reserve = (token: string) =>
  fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 1, secret: randomBytes(32).toString('hex') }) });

test('Leave on the page ends the in-memory session on the server: a copy of its token is refused', async () => {
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.fill('#message', 'Sent, then I leave.');
  const registered = page.waitForResponse((r) => r.url().includes('/api/sends/') && r.request().method() === 'POST'); // the folded send that registers
  expect(await sendAndConfirm(page)).not.toBeNull();
  const token = ((await (await registered).json()) as { sourceToken: string }).sourceToken; // the copy someone kept
  await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
  expect((await reserve(token)).status).toBe(201);
  await Promise.all([page.waitForURL(`${instance.sourceUrl}/leave`), page.click('#done form.leave button')]);
  expect(await page.textContent('main')).toContain('You are logged out');
  expect((await reserve(token)).status).toBe(401);
});

test('an older codename holding an excluded word logs in on the page typed as its digits', async () => {
  const old = 'crazy abacus zoom nerd dispute uncurled tribesman';
  await registerApiSource(instance.sourceUrl, old);
  const page = await browser.context.newPage();
  await page.goto(`${instance.sourceUrl}/login`);
  await page.fill('#codename-input', codenameDigits(old));
  await page.click('#codename-submit');
  await page.waitForSelector('#conversation', { state: 'visible', timeout: 30_000 });
});
