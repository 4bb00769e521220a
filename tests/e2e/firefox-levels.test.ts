import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { exportSubmissions } from '../../server/cli/export.ts';
import { translator } from '../../server/i18n/index.ts';
import { launchFirefox, type SecurityLevel } from '../helpers/firefox.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { foreignRequests, safestSentence, until } from '../helpers/pages.ts';

// Tor Browser's engine at its three security levels; each story ends with GnuPG decrypting the
// exported submission byte for byte.
let instance: Instance;
let gpg: GpgHome;
let work: string;

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('ff', 'ed25519')]);
  await instance.addJournalist('ff', await readFile(gpg.publicKeyFile, 'utf8'));
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-ff-'));
});
afterAll(async () => {
  await instance?.stop();
  await gpg?.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function submitWithScript(page: Page, file: string, message: string): Promise<number> {
  await until(() => page.evaluate(() => !document.getElementById('path-js')!.hidden), 20_000, 'the page script');
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
  await page.type('#message', message);
  const started = Date.now();
  await page.click('#send');
  // A first-time source confirms the codename made on the device before anything is sent.
  await until(() => page.evaluate(() => !document.getElementById('codename-panel')!.hidden), 30_000, 'the codename');
  expect((await page.evaluate(() => document.getElementById('codename')!.textContent!)).split(' ')).toHaveLength(7);
  await page.click('#codename-confirm');
  await until(() => page.evaluate(() => !(document.getElementById('codename-continue') as HTMLButtonElement).disabled), 60_000, 'the source keys (made while the codename is shown)');
  await page.click('#codename-continue');
  await until(() => page.evaluate(() => !document.getElementById('done')!.hidden || !document.getElementById('failed')!.hidden), 240_000, 'the upload');
  expect(await page.evaluate(() => document.getElementById('failed')!.hidden)).toBe(true);
  return Date.now() - started;
}

async function submitWithoutScript(page: Page, file: string, message: string): Promise<number> {
  expect(await safestSentence(page)).toBe(translator('en').text('source.path.nojs'));
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
  await page.focus('#message');
  await page.keyboard.type(message);
  const started = Date.now();
  await page.focus('#send-plain');
  await page.keyboard.press('Enter'); // page.click hangs in Firefox with JavaScript off
  // A first-time source gets the server-made codename on the response page, once.
  await until(async () => page.url().endsWith('/submit') && (await page.content()).includes('id="codename"'), 120_000, 'the codename page');
  expect(await page.content()).toMatch(/only way back/);
  return Date.now() - started;
}

/** Exports everything and opens, with gpg alone, the submission whose manifest names `name`. */
async function gpgOpenByName(name: string): Promise<Buffer> {
  const out = await mkdtemp(path.join(work, 'export-'));
  await exportSubmissions(instance.store, out);
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const dir = path.join(out, designation, id);
      const { manifest, plaintext } = await gpgOpenSubmission((f) => gpg.decrypt(f), dir);
      if (manifest.name === name) return plaintext;
    }
  }
  throw new Error(`no submission named ${name}`);
}

const runs: [SecurityLevel, number][] = [['standard', 6], ['safer', 20], ['safest', 6]];

describe.each(runs)('Firefox ESR at Tor Browser level "%s"', (level, mib) => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchFirefox(level);
  });
  afterAll(() => browser?.close());

  test(`sends a ${mib} MiB file and a message that gpg decrypts byte for byte`, async () => {
    const name = `evidence-${level}-${randomBytes(4).toString('hex')}.bin`;
    const file = randomBytes(mib * 1024 * 1024);
    await writeFile(path.join(work, name), file);
    const message = `Message at level ${level}: ${randomBytes(8).toString('hex')}`;
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => void requested.push(r.url()));
    await page.goto(`${instance.sourceUrl}/`);
    const ms = level === 'safest' ? await submitWithoutScript(page, path.join(work, name), message) : await submitWithScript(page, path.join(work, name), message);
    console.log(JSON.stringify({ name: `firefox-${level}`, fileMiB: mib, encryptAndUploadMs: ms }));
    expect(foreignRequests(requested, instance.sourceUrl)).toEqual([]);
    expect(requested.some((u) => u.includes(level === 'safest' ? '/submit' : '/api/sends/'))).toBe(true);
    expect((await gpgOpenByName(name)).equals(file)).toBe(true);
    expect((await gpgOpenByName('message.txt')).length).toBeGreaterThan(0);
  });
});
