import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// A new source's first folded send is stored but its answer (which carries the session) is lost: the
// page finds the item done through GET /api/sends, and must get its session back by repeating the
// registration, not make a second codename on the next send (the conversation would split in two).
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

/** A new source's send: confirms the codename shown; returns it. */
async function first(page: Page, message: string): Promise<string> {
  await page.fill('#message', message);
  await page.click('#send');
  await page.waitForSelector('#codename-panel:not([hidden])', { timeout: 60_000 });
  const codename = (await page.textContent('#codename'))!.trim();
  await page.check('#codename-confirm');
  await page.click('#codename-continue:not([disabled])');
  await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 90_000 });
  expect(await page.isVisible('#failed')).toBe(false);
  return codename;
}

/** The next send from the same page: its item stored and complete, or a codename other than `codename` shown (a new identity, waiting for confirmation). */
async function next(page: Page, message: string, codename: string): Promise<'complete' | 'new codename'> {
  await page.fill('#message', message);
  await page.click('#send');
  // Whichever comes first: the send over (done or failed), or another codename shown.
  await page.waitForFunction(
    (shown) => !document.getElementById('done')!.hidden || !document.getElementById('failed')!.hidden || document.getElementById('codename')!.textContent!.trim() !== shown,
    codename,
    { timeout: 90_000 },
  );
  if ((await page.textContent('#codename'))?.trim() !== codename) return 'new codename';
  expect(await page.isVisible('#failed')).toBe(false);
  const rows = instance.rows().submissions as { state: string }[];
  expect(rows.map((r) => r.state)).toEqual(['complete', 'complete']);
  return 'complete';
}

test("a new source whose first answer was lost keeps one codename: the next send goes to the same conversation", async () => {
  const page = await browser.context.newPage();
  let cut = 0;
  // The first folded request reaches the server and is stored; its answer never reaches the page.
  await page.route('**/api/sends/*', async (route) => {
    if (cut > 0) return route.continue();
    cut++;
    await route.fetch();
    return route.abort('connectionreset');
  });
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  const codename = await first(page, `first ${randomBytes(4).toString('hex')}`);
  expect(cut).toBe(1);
  // The second send: no new codename, and both items in one source's conversation, sent with the session recovered (no registration again).
  const headers: Record<string, string>[] = [];
  page.on('request', (r) => void (new URL(r.url()).pathname.startsWith('/api/sends/') && headers.push(r.headers())));
  expect(await next(page, `second ${randomBytes(4).toString('hex')}`, codename)).toBe('complete');
  expect(headers).toHaveLength(1);
  expect(headers[0]!['x-source-token']).toMatch(/\S/);
  await page.waitForSelector('#done:not([hidden])');
  const rows = instance.rows().submissions as { source_id: string; state: string }[];
  expect(rows.map((r) => r.state)).toEqual(['complete', 'complete']);
  expect(new Set(rows.map((r) => r.source_id)).size).toBe(1);
  expect(instance.rows().sources).toHaveLength(1);
}, 180_000);
