import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { startChildServer, type ChildServer } from '../helpers/child-server.ts';
import { sealdrop } from '../helpers/cli.ts';
import { logLeaks, storedIdentifiers } from '../helpers/log-scan.ts';
import { until } from '../helpers/pages.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

// Threat: the server is seized and imaged, or its logs are collected. Its data directory and its
// temp directory must hold no plaintext, no original file name, no address and no user agent, on
// either path; what it logged meanwhile (stderr, JSON lines) no address, name, path, id or time,
// and nothing more was printed on stdout than its start-up banner.
let server: ChildServer;
let work: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-canary-'));
  server = await startChildServer(async (dataDir) => {
    const keyFile = path.join(work, 'jo.asc');
    await writeFile(keyFile, (await generateKeyPair({ name: 'Jo' })).publicKey);
    const result = await sealdrop(['journalist', 'add', '--data', dataDir, '--username', 'jo', '--public-key', keyFile]);
    expect(result.code, result.stderr).toBe(0);
  });
});
afterAll(async () => {
  await server?.stop();
  await rm(work, { recursive: true, force: true });
});

describe.each([['JavaScript on', true], ['JavaScript off', false]])('%s', (_label, javaScriptEnabled) => {
  test('a canary file leaves no trace on the seized server or in its log', async () => {
    const from = Date.now();
    const banner = server.stdout();
    const canary = `CANARY-${randomBytes(12).toString('hex')}`;
    const name = `canary-name-${randomBytes(6).toString('hex')}.txt`;
    const userAgent = `Mozilla/5.0 (X11; Linux x86_64) canary-agent-${randomBytes(6).toString('hex')}`;
    // The canary sits inside 6 MiB of other bytes, so it crosses the server's in-memory parts.
    const content = Buffer.concat([randomBytes(3 * 1024 * 1024), Buffer.from(`${canary}\n`), randomBytes(3 * 1024 * 1024)]);
    await writeFile(path.join(work, name), content);
    const browser = await launchChromium({ javaScriptEnabled, userAgent });
    let codename: string | null = null;
    try {
      const page = await browser.context.newPage();
      const requested: string[] = [];
      // The requests that can make an upload whole: a folded send carrying a manifest (X-Send-Lengths H,P,M with M > 0), the form's post.
      const completing: string[] = [];
      page.on('request', (r) => {
        requested.push(r.url());
        if (r.method() === 'POST' && (/\/api\/sends\/\d+$/.test(r.url()) ? /,[1-9]\d*$/.test(r.headers()['x-send-lengths'] ?? '') : r.url().endsWith('/submit'))) completing.push(r.url());
      });
      await page.goto(`${server.sourceUrl}/`);
      await page.setInputFiles('#files', path.join(work, name));
      await page.fill('#message', `message ${canary}`);
      if (javaScriptEnabled) {
        codename = await sendAndConfirm(page);
        await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
      } else {
        await page.click('#send-plain');
        await until(async () => page.url().endsWith('/submit') && (await page.content()).includes('only way back'), 60_000, 'the codename page');
        codename = (await page.textContent('#codename'))!.trim();
      }
      expect(requested.every((u) => u.startsWith(`${server.sourceUrl}/`))).toBe(true);
      expect(completing.some((u) => u.includes(javaScriptEnabled ? '/api/sends/' : '/submit'))).toBe(true);
    } finally {
      await browser.close();
    }
    const objects = await readdir(path.join(server.dataDir, 'objects'));
    expect(objects.length).toBeGreaterThan(2); // the upload did land, encrypted
    expect(codename?.split(' ')).toHaveLength(7);
    const hits = await findBytes([server.dataDir, server.tmpDir], [canary, name, '127.0.0.1', userAgent, 'canary-agent', 'HeadlessChrome', codename!]);
    expect(hits).toEqual([]);
    const known = [canary, name, userAgent, 'canary-agent', codename!, codename!.replaceAll(' ', '-'), server.dataDir, server.tmpDir, ...storedIdentifiers(server.dataDir)];
    expect(server.stderr()).toMatch(/"event":"started"/); // the log is captured
    expect(logLeaks(server.stderr(), known, from)).toEqual([]);
    expect(server.stdout()).toBe(banner);
  });
});
