import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partCountFor } from '../../common/envelope/index.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { killableServer, type KillableServer } from '../helpers/killable-server.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

// A leak sent over a circuit that drops: the server is killed (SIGKILL) and started again twice
// mid-upload, and two part uploads are cut on top. The page must carry on by itself.
const MiB = 1024 * 1024;
const FILE_MIB = 100;
const KILL_AFTER = [6, 16]; // parts acknowledged when each kill happens
const CUT_PARTS = [4, 20];

let server: KillableServer;
let gpg: GpgHome;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let workDir: string;

beforeAll(async () => {
  gpg = await makeGpgHome('resume');
  server = await killableServer(await readFile(gpg.publicKeyFile, 'utf8'));
  await server.start();
  browser = await launchChromium();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-resume-'));
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.cleanup();
  await gpg?.cleanup();
  await rm(workDir, { recursive: true, force: true });
});

/** Counts part uploads as the page sees them (folded sends, POST /api/sends/:n): every attempt, and every 200 (a part stored). */
function watchParts(page: Page, onStored: (stored: number) => void) {
  const attempts = new Map<number, number>();
  const stored = new Map<number, number>();
  const partOf = (url: string) => Number(/\/api\/sends\/(\d+)$/.exec(url)?.[1] ?? 0);
  page.on('request', (r) => {
    const n = partOf(r.url());
    if (n && r.method() === 'POST') attempts.set(n, (attempts.get(n) ?? 0) + 1);
  });
  page.on('response', (r) => {
    const n = partOf(r.url());
    if (!n || r.status() !== 200) return;
    stored.set(n, (stored.get(n) ?? 0) + 1);
    onStored([...stored.values()].reduce((a, b) => a + b, 0));
  });
  return { attempts, stored };
}

test(`a ${FILE_MIB} MiB upload survives two server crashes and two cut requests, and gpg opens it byte for byte`, async () => {
  const file = randomBytes(FILE_MIB * MiB);
  const filePath = path.join(workDir, 'archive.tar');
  await writeFile(filePath, file);
  const page = await browser.context.newPage();
  const cut = new Set<number>();
  await page.route(new RegExp(`/api/sends/(${CUT_PARTS.join('|')})$`), (route) => {
    const n = Number(/(\d+)$/.exec(route.request().url())![1]);
    if (CUT_PARTS.includes(n) && !cut.has(n)) {
      cut.add(n);
      return route.abort('connectionreset');
    }
    return route.continue();
  });
  const kills: Promise<void>[] = [];
  const { attempts, stored } = watchParts(page, (count) => {
    if (count !== KILL_AFTER[kills.length]) return;
    kills.push(server.kill().then(() => new Promise((r) => setTimeout(r, 1500))).then(() => server.start()));
  });
  const reconnecting: string[] = [];
  await page.exposeFunction('noteProgress', (text: string) => void reconnecting.push(text));
  await page.goto(server.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.evaluate(() => {
    new MutationObserver(() => {
      const text = document.getElementById('progress')?.textContent ?? '';
      if (text.includes('reconnecting')) (window as unknown as { noteProgress(t: string): void }).noteProgress(text);
    }).observe(document.getElementById('progress')!, { subtree: true, characterData: true, childList: true });
  });
  await page.setInputFiles('#files', filePath);
  const started = Date.now();
  await sendAndConfirm(page);
  await page.waitForSelector('#done', { state: 'visible', timeout: 240_000 });
  const seconds = (Date.now() - started) / 1000;
  await Promise.all(kills);
  expect(kills).toHaveLength(2);
  expect(cut.size).toBe(2);
  expect(reconnecting.length).toBeGreaterThan(0); // the source was told, not left staring at a frozen bar

  // Re-sent only what was missing: a part is stored twice at most once per interruption.
  const parts = partCountFor(file.length, 4 * MiB);
  const twice = [...stored.values()].filter((c) => c > 1).length;
  expect(twice).toBeLessThanOrEqual(kills.length + cut.size);
  const extraAttempts = [...attempts.values()].reduce((a, b) => a + b, 0) - parts;
  expect(extraAttempts).toBeLessThanOrEqual(2 * (kills.length + cut.size)); // at most the parts in flight, per interruption
  console.log(JSON.stringify({ name: 'resumable-upload', parts, storedTwice: twice, extraAttempts, reconnectNotices: reconnecting.length, seconds }));

  await server.kill();
  const store = server.openStore();
  const out = path.join(workDir, 'export');
  try {
    expect(await exportSubmissions(store, out)).toBe(1);
  } finally {
    store.close();
  }
  const [designation] = await readdir(out);
  const [id] = await readdir(path.join(out, designation!));
  const { manifest, plaintext } = await gpgOpenSubmission(gpg.decrypt, path.join(out, designation!, id!));
  expect(manifest.partCount).toBe(parts);
  expect(plaintext.equals(file)).toBe(true);
}, 300_000);
