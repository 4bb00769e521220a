import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { exportSubmissions } from '../../server/cli/export.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Over Tor every round trip costs about 0.8 s (docs/benchmarks.md, tor_like_link), so a message or a
// one-part file goes in ONE request after the click on Send, for a new source (the registration
// rides with it; the codename's derivation ran while the codename was shown) and for a returning
// one. Counted with the browser's own request events; gpg then opens what arrived.
let instance: Instance;
let gpg: GpgHome;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let work: string;

beforeAll(async () => {
  gpg = await makeGpgHome('folded');
  instance = await startInstance();
  await instance.addJournalist('jo', await readFile(gpg.publicKeyFile, 'utf8'));
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-folded-'));
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await gpg?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** Clicks Send (and, for a new source, confirms the codename once the page allows it); returns the requests made after the click, and the codename. */
async function send(page: Page): Promise<{ requests: string[]; codename: string | null }> {
  // Everything the page loads by itself (the codename's word list too) has arrived before the click.
  await page.waitForLoadState('networkidle');
  const requests: string[] = [];
  page.on('request', (r) => void requests.push(`${r.method()} ${new URL(r.url()).pathname}`));
  await page.click('#send');
  await page.waitForSelector('#codename-panel:not([hidden]), #done:not([hidden]), #failed:not([hidden])', { timeout: 60_000 });
  let codename: string | null = null;
  if (await page.isVisible('#codename-panel')) {
    codename = (await page.textContent('#codename'))!.trim();
    await page.check('#codename-confirm');
    await page.click('#codename-continue:not([disabled])');
  }
  await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 60_000 });
  expect(await page.isVisible('#failed')).toBe(false);
  return { requests, codename };
}

async function gpgOpenAll(): Promise<Map<string, Buffer[]>> {
  const out = path.join(work, `export-${randomBytes(4).toString('hex')}`);
  await exportSubmissions(instance.store, out);
  const opened = new Map<string, Buffer[]>();
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const { manifest, plaintext } = await gpgOpenSubmission(gpg.decrypt, path.join(out, designation, id));
      opened.set(manifest.name, [...(opened.get(manifest.name) ?? []), plaintext]);
    }
  }
  return opened;
}

test('a new source: a message in one request after the click, then (logged in) a message and a one-part file in one request each; gpg opens all three', async () => {
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  const first = `First contact ${randomBytes(6).toString('hex')}`;
  await page.fill('#message', first);
  const sent = await send(page);
  expect(sent.codename).toMatch(/\S+( \S+){6}/);
  expect(sent.requests).toEqual(['POST /api/sends/1']);

  const back = await browser.context.newPage();
  await back.goto(`${instance.sourceUrl}/login`);
  await back.fill('#codename-input', sent.codename!);
  await back.click('#codename-submit');
  await back.waitForSelector('#conversation', { state: 'visible', timeout: 30_000 });
  await back.waitForSelector('#send:not([disabled])');
  const again = `Second message ${randomBytes(6).toString('hex')}`;
  await back.fill('#message', again);
  expect(await send(back)).toEqual({ requests: ['POST /api/sends/1'], codename: null });

  const file = randomBytes(300_000);
  const name = `small-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(work, name), file);
  await back.setInputFiles('#files', path.join(work, name));
  expect(await send(back)).toEqual({ requests: ['POST /api/sends/1'], codename: null });

  const opened = [...(await gpgOpenAll()).entries()].flatMap(([n, texts]) => texts.map((b) => [n, b] as const));
  expect(opened).toHaveLength(3);
  expect(opened.find(([n]) => n === name)?.[1].equals(file)).toBe(true);
  expect(opened.filter(([n]) => n !== name).map(([, b]) => b.toString('utf8')).sort()).toEqual([first, again].sort());
}, 180_000);

test('a new source: a one-part file in one request after the click', async () => {
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  const file = randomBytes(100_000);
  const name = `first-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(work, name), file);
  await page.setInputFiles('#files', path.join(work, name));
  const sent = await send(page);
  expect(sent.codename).not.toBeNull();
  expect(sent.requests).toEqual(['POST /api/sends/1']);
  expect((await gpgOpenAll()).get(name)?.[0]?.equals(file)).toBe(true);
}, 120_000);
