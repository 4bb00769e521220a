import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partCountFor, readJournalistKey, sealFile, SubmissionSealer } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// A journalist decrypts a submission larger than a tab should hold: streamed into a file where the
// browser can write one (File System Access), in pieces where it cannot (Firefox, Tor Browser).
const MiB = 1024 * 1024;
const FILE_MIB = 300; // more than one piece (256 MiB)

let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let work: string;
let account: Awaited<ReturnType<typeof makeAccount>>;
let digest: string;

beforeAll(async () => {
  instance = await startInstance();
  account = await makeAccount(instance, 'jo');
  const file = randomBytes(FILE_MIB * MiB);
  digest = createHash('sha256').update(file).digest('hex');
  const source = newSource(instance.store);
  const id = instance.store.submissions.create(source.id, partCountFor(file.length, 4 * MiB));
  const recipients = [(await readJournalistKey(account.publicKey)).key];
  const sealer = new SubmissionSealer({ submission: id, name: 'archive.tar', type: 'application/x-tar', recipients });
  let n = 0;
  for await (const part of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) await instance.store.submissions.putPart(id, ++n, part);
  await instance.store.submissions.putManifest(id, await sealer.sealManifest());
  instance.store.submissions.complete(id);
  browser = await launchChromium({ downloads: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-jlarge-'));
  await writeFile(path.join(work, 'key.asc'), account.privateKey);
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

/** The conversation, logged in, with the private key unlocked in the tab. */
async function inbox(offset: number): Promise<Page> {
  await browser.context.clearCookies();
  const page = await browser.context.newPage();
  await page.goto(`${instance.journalistUrl}/login`);
  await page.fill('#username', 'jo');
  await page.fill('#passphrase', account.passphrase);
  await page.fill('#code', account.code(offset));
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text("Inbox")');
  await page.click('li.conversation a.designation');
  await page.waitForSelector('ol.thread button.open');
  await page.setInputFiles('#key-file', path.join(work, 'key.asc'));
  await page.click('#load-key');
  await page.waitForSelector('text=Key unlocked');
  return page;
}

type HeapUsage = { usedSize: number; embedderHeapUsedSize?: number; backingStorageSize?: number };

/**
 * Peak memory of the page's own heaps while `run` runs: V8's objects, Blink's, and the backing
 * stores of ArrayBuffers. Decrypted bytes live in the last (Uint8Arrays), which usedSize leaves
 * out: 200 MiB held in a page moved usedSize by -0.2 MiB and backingStorageSize by 200.0 MiB.
 */
async function heapPeak(page: Page, run: () => Promise<void>): Promise<{ base: number; peak: number }> {
  const cdp = await browser.context.newCDPSession(page);
  const used = async () => {
    const heap = (await cdp.send('Runtime.getHeapUsage')) as HeapUsage;
    if (heap.backingStorageSize === undefined || heap.embedderHeapUsedSize === undefined) throw new Error('this Chromium does not report ArrayBuffer backing stores');
    return heap.usedSize + heap.embedderHeapUsedSize + heap.backingStorageSize;
  };
  const base = await used();
  let peak = base;
  const timer = setInterval(() => void used().then((u) => (peak = Math.max(peak, u)), () => undefined), 250);
  try {
    await run();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, await used()); // what the page still holds once the file is saved
  return { base, peak };
}

test('with File System Access: the file is written as it decrypts, and the heap does not follow it', async () => {
  const page = await inbox(0);
  // The save dialog is the one thing a test cannot click: the page gets a real file handle (in the
  // origin's private file system) where the journalist would have picked a place.
  await page.evaluate(() => {
    (window as unknown as { showSaveFilePicker: unknown }).showSaveFilePicker = async () => (await navigator.storage.getDirectory()).getFileHandle('saved.tar', { create: true });
  });
  const { base, peak } = await heapPeak(page, async () => {
    await page.click('button.open');
    await page.waitForSelector('text=/Verified: archive.tar .*saved/', { timeout: 110_000 });
  });
  console.log(JSON.stringify({ name: 'journalist-decrypt-file', fileMiB: FILE_MIB, heapGrowthMiB: Math.round((peak - base) / MiB) }));
  expect((peak - base) / MiB).toBeLessThan(FILE_MIB / 3);
  const saved = await page.evaluate(async () => {
    const file = await (await (await navigator.storage.getDirectory()).getFileHandle('saved.tar')).getFile();
    const hex = [...new Uint8Array(await crypto.subtle.digest('SHA-256', await file.arrayBuffer()))].map((b) => b.toString(16).padStart(2, '0')).join('');
    return { size: file.size, hex };
  });
  expect(saved).toEqual({ size: FILE_MIB * MiB, hex: digest });
}, 180_000);

test('without it: the file comes in pieces, one held at a time, that join to the original', async () => {
  const page = await inbox(1);
  await page.evaluate(() => delete (window as unknown as { showSaveFilePicker?: unknown }).showSaveFilePicker);
  const pieces: string[] = [];
  const { base, peak } = await heapPeak(page, async () => {
    await page.click('button.open');
    for (let i = 1; i <= 2; i++) {
      const link = page.locator(`a.piece[download="archive.tar.00${i}"]`);
      await link.waitFor({ timeout: 110_000 });
      const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
      pieces.push(path.join(work, `piece-${i}`));
      await download.saveAs(pieces.at(-1)!);
      if (i === 1) await page.click('button.next-piece');
    }
    await page.waitForSelector('text=/Verified: archive.tar .*saved/');
  });
  expect(await page.textContent('.opened, [id^="opened-"]')).toContain('in 2 pieces');
  console.log(JSON.stringify({ name: 'journalist-decrypt-pieces', fileMiB: FILE_MIB, heapGrowthMiB: Math.round((peak - base) / MiB) }));
  expect((peak - base) / MiB).toBeLessThan(FILE_MIB / 3);
  const joined = createHash('sha256');
  for (const p of pieces) joined.update(await readFile(p));
  expect(joined.digest('hex')).toBe(digest);
}, 180_000);
