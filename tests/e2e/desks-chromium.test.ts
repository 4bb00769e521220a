import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey, readRecipientKeyIds } from '../../common/envelope/index.ts';
import { MANIFEST_FILE } from '../../common/export-layout.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { startSniffer, type Sniffer } from '../helpers/sniffer.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { sendAndConfirm } from '../helpers/submit.ts';

// Issue 23: two desks, one journalist each. A source chooses desk B in Chromium with JavaScript on:
// every object the page uploads is sealed to B's key alone; gpg with B's key opens the file, gpg
// with A's key cannot open even its manifest.
let instance: Instance;
let gpgA: GpgHome;
let gpgB: GpgHome;
let work: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let deskB: number;
let sniffer: Sniffer;

/** The bodies of the requests on one connection whose request line matches `line` (Content-Length framing, as Chromium sends them). */
function bodies(stream: Buffer, line: RegExp): Buffer[] {
  const found: Buffer[] = [];
  for (let at = 0; at < stream.length; ) {
    const end = stream.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = stream.subarray(at, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (line.test(head.split('\r\n')[0]!)) found.push(stream.subarray(end + 4, end + 4 + length));
    at = end + 4 + length;
  }
  return found;
}

beforeAll(async () => {
  [instance, gpgA, gpgB] = await Promise.all([startInstance(), makeGpgHome('desk-a'), makeGpgHome('desk-b')]);
  const ana = await makeAccount(instance, 'ana', { publicKey: await readFile(gpgA.publicKeyFile, 'utf8') });
  const ben = await makeAccount(instance, 'ben', { publicKey: await readFile(gpgB.publicKeyFile, 'utf8') });
  const { desks } = instance.store;
  const a = desks.create('investigations', { en: { name: 'Investigations', description: 'Long projects' } }, 'cli');
  const b = desks.create('local', { en: { name: 'Local news', description: 'The city' } }, 'cli');
  desks.addMember(a.id, ana.id);
  desks.addMember(b.id, ben.id);
  deskB = b.id;
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-desks-'));
  sniffer = await startSniffer(Number(new URL(instance.sourceUrl).port));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await sniffer?.close();
  await instance?.stop();
  await Promise.all([gpgA?.cleanup(), gpgB?.cleanup()]);
  await rm(work, { recursive: true, force: true });
});

test('a source picks desk B: the page seals to B’s key only; gpg opens it with B’s key and fails with A’s', async () => {
  const file = randomBytes(300_000);
  const name = `for-desk-b-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(work, name), file);
  const page = await browser.context.newPage();
  const registered: string[] = [];
  page.on('request', (r) => void (r.url().endsWith('/api/sources') && registered.push(r.postData() ?? '')));
  await page.goto(sniffer.url);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.setInputFiles('#files', path.join(work, name));
  await page.check(`#desk-${deskB}`);
  expect(await sendAndConfirm(page)).not.toBeNull();
  await page.waitForSelector('#done', { state: 'visible', timeout: 110_000 });
  // The choice is the conversation's now: the radios are shown, no longer open.
  expect(await page.isDisabled(`#desk-${deskB}`)).toBe(true);
  expect(JSON.parse(registered[0]!).desk).toBe(deskB);

  const keyB = await readJournalistKey(await readFile(gpgB.publicKeyFile, 'utf8'));
  // What the page sent on the wire (read through a relay: a Blob body is not in the browser's request events).
  const uploads = sniffer.streams().flatMap((s) => bodies(s, /^PUT \/api\/submissions\/[0-9a-f]+\/(parts\/\d+|manifest) /));
  expect(uploads.length).toBeGreaterThanOrEqual(2); // the file's part(s) and its manifest
  for (const body of uploads) expect(readRecipientKeyIds(body)).toEqual([keyB.recipientKeyId]);

  const out = await mkdtemp(path.join(work, 'export-'));
  await exportSubmissions(instance.store, out);
  const [designation] = await readdir(out);
  const [id] = await readdir(path.join(out, designation!));
  const dir = path.join(out, designation!, id!);
  const { manifest, plaintext } = await gpgOpenSubmission((f) => gpgB.decrypt(f), dir);
  expect(manifest.name).toBe(name);
  expect(plaintext.equals(file)).toBe(true);
  const refused = await gpgA.decrypt(path.join(dir, MANIFEST_FILE)).then(
    () => null,
    (error: { code?: number }) => error,
  );
  expect(refused?.code).toBe(2); // gpg's exit status: no secret key for it
});
