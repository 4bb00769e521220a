import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exportSubmissions } from '../../server/cli/export.ts';
import { launchChromium } from '../helpers/browser.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { containsAnyWindow, startSniffer, type Sniffer } from '../helpers/sniffer.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

// Issue 26: a file of several parts is sealed in the page's Web Workers (client/source/seal-pool.ts),
// whose script loads under the strict CSP, in Chromium and in Firefox ESR at Tor Browser's
// "Safer" level (no JIT, no WebAssembly); gpg opens what arrived byte for byte.
const MiB = 1024 * 1024;
const WORKER_GET = 'GET /static/js/seal-worker.js ';
let instance: Instance;
let gpg: GpgHome;
let sniffer: Sniffer;
let work: string;

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('workers', 'ed25519')]);
  await instance.addJournalist('jo', await readFile(gpg.publicKeyFile, 'utf8'));
  sniffer = await startSniffer(Number(new URL(instance.sourceUrl).port));
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-workers-'));
}, 60_000);
afterAll(async () => {
  await sniffer?.close();
  await instance?.stop();
  await gpg?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** A random file of `mib` MiB (several parts) under a name of its own. */
async function someFile(name: string, mib: number): Promise<{ file: string; data: Buffer }> {
  const data = randomBytes(mib * MiB + 777);
  const file = path.join(work, name);
  await writeFile(file, data);
  return { file, data };
}

/** Exports everything and opens, with gpg alone, the submission whose manifest names `name`. */
async function gpgOpenByName(name: string): Promise<{ plaintext: Buffer; partCount: number }> {
  const out = await mkdtemp(path.join(work, 'export-'));
  await exportSubmissions(instance.store, out);
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const { manifest, plaintext } = await gpgOpenSubmission((f) => gpg.decrypt(f), path.join(out, designation, id));
      if (manifest.name === name) return { plaintext, partCount: manifest.partCount };
    }
  }
  throw new Error(`no submission named ${name}`);
}

const workerFetches = (sent: Buffer) => sent.toString('latin1').split(WORKER_GET).length - 1;

test('Chromium: the parts are sealed in two workers or more, nothing readable crosses the wire, gpg opens the file', async () => {
  const { file, data } = await someFile('ledger-chromium.bin', 9);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const workers: import('playwright-core').Worker[] = [];
    page.on('worker', (w) => void workers.push(w));
    const before = workerFetches(sniffer.sent());
    await page.goto(sniffer.url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await page.setInputFiles('#files', file);
    await sendAndConfirm(page);
    await page.waitForSelector('#done', { state: 'visible', timeout: 120_000 });
    expect(workers.length).toBeGreaterThanOrEqual(2);
    const sealed = await Promise.all(workers.map((w) => w.evaluate(() => (globalThis as unknown as { sealedParts: number }).sealedParts)));
    const { plaintext, partCount } = await gpgOpenByName('ledger-chromium.bin');
    expect(partCount).toBeGreaterThanOrEqual(3);
    // Every part was sealed in a worker, and the work was shared.
    expect(sealed.reduce((a, b) => a + b, 0)).toBe(partCount);
    expect(sealed.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2);
    expect(workerFetches(sniffer.sent()) - before).toBe(workers.length);
    expect(containsAnyWindow(sniffer.sent(), data)).toBe(false);
    expect(plaintext.equals(data)).toBe(true);
  } finally {
    await browser.close();
  }
}, 180_000);

test('Chromium where the worker script cannot load: the parts are sealed on the page instead, never sent readable', async () => {
  const { file, data } = await someFile('ledger-fallback.bin', 5);
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    let refused = 0;
    await page.route('**/seal-worker.js', (route) => void (refused++, route.abort('blockedbyclient')));
    await page.goto(sniffer.url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await page.setInputFiles('#files', file);
    await sendAndConfirm(page);
    await page.waitForSelector('#done', { state: 'visible', timeout: 120_000 });
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(containsAnyWindow(sniffer.sent(), data)).toBe(false);
    expect((await gpgOpenByName('ledger-fallback.bin')).plaintext.equals(data)).toBe(true);
  } finally {
    await browser.close();
  }
}, 180_000);

test('Firefox ESR at "Safer": the worker script loads under the CSP, two workers start, gpg opens the file', async () => {
  const { file, data } = await someFile('ledger-firefox.bin', 9);
  const browser = await launchFirefox('safer');
  try {
    const page = await browser.newPage();
    const violations: string[] = [];
    page.on('console', (m) => void (/Content[- ]Security[- ]Policy|CSP/i.test(m.text()) && violations.push(m.text())));
    const before = workerFetches(sniffer.sent());
    await page.goto(sniffer.url);
    await until(() => page.evaluate(() => !document.getElementById('path-js')!.hidden), 20_000, 'the page script');
    await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
    await page.click('#send');
    await until(() => page.evaluate(() => !document.getElementById('codename-panel')!.hidden), 30_000, 'the codename');
    await page.click('#codename-confirm');
    // Continue waits for the source's keys, made while the codename is read (slow without a JIT).
    await until(() => page.evaluate(() => !(document.getElementById('codename-continue') as HTMLButtonElement).disabled), 60_000, 'the source keys');
    await page.click('#codename-continue');
    await until(() => page.evaluate(() => !document.getElementById('done')!.hidden || !document.getElementById('failed')!.hidden), 240_000, 'the upload');
    expect(await page.evaluate(() => document.getElementById('failed')!.hidden)).toBe(true);
    // Two workers or more (resistFingerprinting reports a fixed core count), each fetching the script (no-store).
    expect(workerFetches(sniffer.sent()) - before).toBeGreaterThanOrEqual(2);
    expect(violations).toEqual([]);
    expect(containsAnyWindow(sniffer.sent(), data)).toBe(false);
    expect((await gpgOpenByName('ledger-firefox.bin')).plaintext.equals(data)).toBe(true);
  } finally {
    await browser.close();
  }
}, 300_000);
