import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Threat: a submission larger than the drop accepts costs the server the whole upload (time,
// encryption, disk) before it is refused, or the source learns only after hours that it failed.
// Both paths refuse it early, with a sentence that says what to do, and nothing is stored.
const MiB = 1024 * 1024;
const LIMIT_MIB = 8;
let instance: Instance;
let work: string;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(LIMIT_MIB * MiB), SEALDROP_PART_SIZE: String(MiB) });
  await instance.addJournalist('jo', (await generateKeyPair({ name: 'Jo' })).publicKey);
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-oversize-'));
});
afterAll(async () => {
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

type Answer = { status: number; body: string; ms: number };

/** Starts a request with the given headers, writes `first` bytes of body, and waits for the answer without sending more. */
function answerBefore(pathname: string, headers: Record<string, string | number>, first: Buffer, method = 'POST'): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(`${instance.sourceUrl}${pathname}`, { method, headers });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, ms: performance.now() - started }));
    });
    req.on('error', reject);
    req.write(first);
  });
}

// Only what the tests send on purpose may be stored: the warm-up send (complete) and the API test's open, empty submission.
const nothingStored = async () => {
  const rows = instance.rows() as { submissions: { id: string; state: string; part_count: number }[]; parts: { submission_id: string }[] };
  const kept = new Set(rows.submissions.filter((s) => s.state === 'complete').map((s) => s.id));
  expect(rows.submissions.every((s) => kept.has(s.id) || s.part_count === 1)).toBe(true);
  expect(rows.parts.every((p) => kept.has(p.submission_id))).toBe(true);
  expect((await instance.objectFiles()).length).toBe(rows.parts.length + kept.size);
};

test('without JavaScript: a form declaring more than the limit is refused at once, before its body is read', async () => {
  const boundary = 'oversize';
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="all.zip"\r\nContent-Type: application/zip\r\n\r\n`);
  const answer = await answerBefore('/submit', { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': 5 * 1024 * MiB }, Buffer.concat([head, randomBytes(64 * 1024)]));
  expect(answer.status).toBe(413);
  expect(answer.body).toContain(`more than ${LIMIT_MIB} MiB`);
  expect(answer.body).toContain('Nothing was sent or stored');
  expect(answer.ms).toBeLessThan(2_000);
  await nothingStored();
});

test('without JavaScript: a form that hides its length is cut at the limit as it arrives, and memory does not follow it', async () => {
  const boundary = 'hidden-length';
  // One real send first: the worker threads that make source keys and encrypt parts start once
  // per process (tens of MiB each), and that is not what is measured here.
  const form = new FormData();
  form.append('files', new Blob([randomBytes(64 * 1024)]), 'warm-up.bin');
  expect((await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', body: form, headers: { origin: instance.sourceUrl } })).status).toBe(200);
  const rssBefore = process.memoryUsage().rss;
  let peak = rssBefore;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const status = await new Promise<{ code: number; body: string }>((resolve, reject) => {
    const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' } });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    const chunk = randomBytes(MiB);
    let sent = 0;
    const pump = () => {
      while (sent < 32 * LIMIT_MIB && !req.destroyed) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
  clearInterval(sampler);
  expect(status.code).toBe(413);
  expect(status.body).toContain(`larger than ${LIMIT_MIB} MiB`);
  console.log(JSON.stringify({ name: 'nojs-oversize-hidden-length', sentMiB: 32 * LIMIT_MIB, rssGrowthMiB: Math.round((peak - rssBefore) / MiB) }));
  // The whole body was 256 MiB; a server (or a client) that held it would grow by at least that.
  expect((peak - rssBefore) / MiB).toBeLessThan(20 * LIMIT_MIB);
  await nothingStored();
});

test('with JavaScript: the API refuses too many parts and an oversized part by its declared length', async () => {
  const { token } = await registerApiSource(instance.sourceUrl);
  const create = await fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 10_000 }) });
  expect(create.status).toBe(400);
  expect(((await create.json()) as { error: string }).error).toContain(`files up to ${LIMIT_MIB} MiB`);
  const secret = randomBytes(32).toString('hex');
  const ok = await fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 1, secret }) });
  const { submission } = (await ok.json()) as { submission: string };
  const part = await answerBefore(`/api/submissions/${submission}/parts/1`, { 'content-type': 'application/octet-stream', 'content-length': 64 * MiB, 'x-upload-secret': secret }, randomBytes(1024), 'PUT');
  expect(part.status).toBe(413);
  expect(part.ms).toBeLessThan(2_000);
  await nothingStored();
});

test('in the page: a file over the limit is refused before a codename is made or a byte is sent', async () => {
  const file = path.join(work, 'too-big.bin');
  await writeFile(file, randomBytes((LIMIT_MIB + 1) * MiB));
  const browser = await launchChromium();
  try {
    const page = await browser.context.newPage();
    const posts: string[] = [];
    page.on('request', (r) => void (r.method() !== 'GET' && posts.push(r.url())));
    await page.goto(instance.sourceUrl);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await page.setInputFiles('#files', file);
    await page.click('#send');
    await page.waitForSelector('#failed', { state: 'visible' });
    expect(await page.textContent('#failed')).toContain(`larger than ${LIMIT_MIB} MiB`);
    expect(await page.isVisible('#codename-panel')).toBe(false);
    expect(posts).toEqual([]);
  } finally {
    await browser.close();
  }
  await nothingStored();
});

test('Firefox with JavaScript off: the source sees why a too-large form was refused', async () => {
  const file = path.join(work, 'too-big-nojs.bin');
  await writeFile(file, randomBytes(3 * LIMIT_MIB * MiB));
  const browser = await launchFirefox('safest');
  try {
    const page = await browser.newPage();
    await page.goto(instance.sourceUrl);
    expect(await page.content()).toContain(`up to ${LIMIT_MIB} MiB in all`);
    await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
    await page.focus('#send-plain');
    await page.keyboard.press('Enter');
    await until(async () => (await page.content()).includes('Nothing was sent or stored'), 30_000, 'the refusal page').catch(async (e) => {
      console.log(page.url(), (await page.content()).slice(0, 1500));
      throw e;
    });
  } finally {
    await browser.close();
  }
  await nothingStored();
});
