import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decryptObject, generateKeyPair, openManifest, readPrivateKey } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { exportAndOpen, removeDir } from '../helpers/decrypt.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { containsAnyWindow, startSniffer, type Sniffer } from '../helpers/sniffer.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

let instance: Instance;
let sniffer: Sniffer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let journalistKey: { publicKey: string; privateKey: string };
let workDir: string;

beforeAll(async () => {
  instance = await startInstance();
  journalistKey = await generateKeyPair({ name: 'Test Journalist' });
  await instance.addJournalist('jo', journalistKey.publicKey);
  sniffer = await startSniffer(Number(new URL(instance.sourceUrl).port));
  browser = await launchChromium();
  workDir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-e2e-'));
});

afterAll(async () => {
  await browser?.close();
  await sniffer?.close();
  await instance?.stop();
  await rm(workDir, { recursive: true, force: true });
});

test('a 20 MiB file and a message leave the browser encrypted and reach the journalist intact', async () => {
  const file = randomBytes(20 * 1024 * 1024);
  const filePath = path.join(workDir, 'leaked-budget 2026.pdf');
  await writeFile(filePath, file);
  const message = `Meet the auditor on Thursday; the ledger on page 14 proves it. canary-${randomBytes(16).toString('hex')}`;

  const page = await browser.context.newPage();
  const requested: string[] = [];
  page.on('request', (r) => requested.push(r.url()));
  await page.goto(sniffer.url);
  await expect.poll(() => page.isVisible('#path-js')).toBe(true);
  await page.setInputFiles('#files', filePath);
  await page.fill('#message', message);
  const codename = await sendAndConfirm(page);
  expect(codename?.split(' ')).toHaveLength(7);
  await page.waitForSelector('#done', { state: 'visible', timeout: 110_000 });
  expect(await page.textContent('#progress')).toContain('sent, encrypted');
  // The codename panel ends with the send: no greyed "Sending…" left under the green "Sent" box.
  expect(await page.isVisible('#codename-continue')).toBe(false);
  expect(await page.isVisible('#codename')).toBe(true); // the codename stays to be written down

  const sent = sniffer.sent();
  expect(sent.length).toBeGreaterThan(file.length); // the ciphertext did go through the relay
  expect(containsAnyWindow(sent, file)).toBe(false);
  expect(sent.includes(Buffer.from(message.slice(0, 40)))).toBe(false);
  expect(sent.includes(Buffer.from('leaked-budget'))).toBe(false);
  expect(sent.includes(Buffer.from(codename!))).toBe(false); // the codename never leaves the device
  expect(requested.every((u) => u.startsWith(`${sniffer.url}/`))).toBe(true);

  const { out, opened } = await exportAndOpen(instance.store, journalistKey.privateKey);
  expect(opened).toHaveLength(2);
  expect(new Set(opened.map((o) => o.designation)).size).toBe(1);
  const doc = opened.find((o) => o.manifest.name === 'leaked-budget 2026.pdf')!;
  expect(doc.manifest.partCount).toBe(5);
  expect(doc.plaintext.equals(file)).toBe(true);
  const note = opened.find((o) => o.manifest.type.startsWith('text/plain'))!;
  expect(note.plaintext.toString('utf8')).toBe(message);
  await removeDir(out);
});

test('a part whose upload fails is retried, and the submission still arrives whole', async () => {
  const before = instance.store.submissions.listComplete().length;
  const page = await browser.context.newPage();
  let failures = 0;
  await page.route('**/api/sends/1', async (route) => {
    if (failures++ < 2) return route.abort('connectionreset');
    return route.continue();
  });
  await page.goto(sniffer.url);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.fill('#message', 'Retry me: the Tor circuit dropped.');
  await sendAndConfirm(page);
  await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
  expect(failures).toBe(3);
  expect(instance.store.submissions.listComplete()).toHaveLength(before + 1);
});

test('a refused upload is reported to the source, not shown as sent', async () => {
  const page = await browser.context.newPage();
  await page.route('**/api/sends/*', (route) => route.fulfill({ status: 409, contentType: 'application/json', body: JSON.stringify({ error: 'The journalist keys changed. Reload the page and send again.' }) }));
  await page.goto(sniffer.url);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.fill('#message', 'This one will be refused.');
  await sendAndConfirm(page);
  await page.waitForSelector('#failed', { state: 'visible' });
  expect(await page.textContent('#progress')).toContain('Reload the page and send again');
  expect(await page.isVisible('#done')).toBe(false);
});

test('keys that change while the page is open: the page fetches the new ones and encrypts again', async () => {
  const page = await browser.context.newPage();
  await page.goto(sniffer.url);
  await page.waitForSelector('#path-js', { state: 'visible' });
  const newcomer = await generateKeyPair({ name: 'Newcomer' });
  await instance.addJournalist('newcomer', newcomer.publicKey); // after the page fetched the keys
  await page.fill('#message', 'Sent while the newsroom added a colleague.');
  await sendAndConfirm(page);
  await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
  // The newest submission is addressed to the newcomer too (older ones were not, as they should not be).
  const key = await readPrivateKey(newcomer.privateKey);
  const readable: string[] = [];
  for (const s of instance.store.submissions.listComplete()) {
    const objects = instance.store.submissions.objects(s.id);
    const manifest = await openManifest({ data: await instance.store.blobs.read(objects.manifest), keys: [key] }).catch(() => null);
    // One part: the message, then zero padding up to its size class.
    if (manifest) readable.push(new TextDecoder().decode((await decryptObject({ data: await instance.store.blobs.read(objects.parts[0]!), keys: [key] })).subarray(0, manifest.size)));
  }
  expect(readable).toEqual(['Sent while the newsroom added a colleague.']);
});

// A file that fills its size class in whole parts: the last part is the last of all, and the page
// seals the manifest as soon as it is out. One of exactly 4 MiB (one part, sealed on the page) was
// "not sent" while the manifest was sealed before the file had ended (common/envelope/seal.ts, 0f79de7).
test('files of exactly 4 MiB and 8 MiB (whole parts, no padding) are sent and open to the same bytes', async () => {
  const sizes = [4 * 1024 * 1024, 8 * 1024 * 1024];
  const files = sizes.map((size) => ({ name: `whole-${size}-${randomBytes(4).toString('hex')}.bin`, data: randomBytes(size) }));
  for (const f of files) await writeFile(path.join(workDir, f.name), f.data);
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.setInputFiles('#files', files.map((f) => path.join(workDir, f.name)));
  await sendAndConfirm(page);
  await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 110_000 });
  expect(await page.isVisible('#failed'), (await page.textContent('#progress')) ?? '').toBe(false);
  const { out, opened } = await exportAndOpen(instance.store, journalistKey.privateKey);
  for (const [i, f] of files.entries()) {
    const doc = opened.find((o) => o.manifest.name === f.name);
    expect(doc?.manifest.partCount).toBe(i + 1);
    expect(doc?.plaintext.equals(f.data)).toBe(true);
  }
  await removeDir(out);
}, 120_000);
