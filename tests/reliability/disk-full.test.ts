import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { SourcePage, UnexpectedAnswer } from './crash-clients.ts';

// The data directory on a filesystem of a few MiB (a tmpfs the test mounts: root only, as in CI).
// Filled to the last byte with the guard off, then with the guard on.
const MiB = 1024 * 1024;
const PART = 256 * 1024;
const root = process.getuid?.() === 0;
let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
  cleanups = [];
});

async function smallDisk(mib: number): Promise<string> {
  const mount = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-small-disk-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${mib}m,mode=0700`, 'tmpfs', mount]);
  cleanups.push(async () => {
    execFileSync('umount', ['-l', mount]);
    await rm(mount, { recursive: true, force: true });
  });
  return path.join(mount, 'data');
}

type Drop = { instance: Instance; dataDir: string; page: SourcePage; key: PublicKey; privateKey: string; staff: StaffClient };

async function dropOn(dataDir: string, minFreeMiB: number): Promise<Drop> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const instance = await startInstance({ SEALDROP_DATA: dataDir, SEALDROP_PART_SIZE: String(PART), SEALDROP_MIN_FREE_MIB: String(minFreeMiB) });
  cleanups.push(() => instance.stop());
  const pair = await generateKeyPair({ name: 'Disk desk' });
  const account = await makeAccount(instance, 'desk', { publicKey: pair.publicKey });
  const staff = new StaffClient(instance.journalistUrl);
  await staff.login('desk', account.passphrase, account.code());
  const salt = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  const page = new SourcePage(instance.sourceUrl, (await deriveSourceSecrets((await registerApiSource(instance.sourceUrl)).codename, salt)).loginSecret);
  await page.login();
  return { instance, dataDir, page, key: (await readJournalistKey(pair.publicKey)).key, privateKey: pair.privateKey, staff };
}

/** Uploads files until one is refused; returns the files stored and the refusal. */
async function fillUp(drop: Drop, fileBytes: number): Promise<{ stored: Map<string, Buffer>; refusal: UnexpectedAnswer }> {
  const stored = new Map<string, Buffer>();
  for (let i = 0; i < 100; i++) {
    const file = { name: `f${i}.bin`, plaintext: randomBytes(fileBytes) };
    try {
      await drop.page.send(await drop.page.reserve(file, PART, drop.key));
      stored.set(file.name, file.plaintext);
    } catch (error) {
      if (!(error instanceof UnexpectedAnswer)) throw error;
      return { stored, refusal: error };
    }
  }
  throw new Error('the disk never filled');
}

/** Every complete submission opens whole and is one of the files stored; the database is sound. */
async function checkIntact(drop: Drop, stored: Map<string, Buffer>): Promise<void> {
  const key = await readPrivateKey(drop.privateKey);
  const objects = path.join(drop.dataDir, 'objects');
  expect((await readdir(objects)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
  const db = new Database(path.join(drop.dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const complete = db.prepare("SELECT id, manifest_blob FROM submissions WHERE state = 'complete'").all() as { id: string; manifest_blob: string }[];
    expect(complete).toHaveLength(stored.size);
    for (const s of complete) {
      const parts = (db.prepare('SELECT blob FROM parts WHERE submission_id = ? ORDER BY n').all(s.id) as { blob: string }[]).map((p) => p.blob);
      const manifest = await openManifest({ data: await readFile(path.join(objects, s.manifest_blob)), keys: [key] });
      const chunks: Uint8Array[] = [];
      await openSubmission({ manifest, keys: [key], readPart: (n) => readFile(path.join(objects, parts[n - 1]!)), write: async (b) => void chunks.push(b) });
      expect(Buffer.concat(chunks).equals(stored.get(manifest.name)!)).toBe(true);
    }
  } finally {
    db.close();
  }
}

test.skipIf(!root)('with the guard off, the disk fills to the last byte: the source is told, nothing stored is damaged, the server keeps serving', async () => {
  const drop = await dropOn(await smallDisk(6), 0);
  const { stored, refusal } = await fillUp(drop, 700 * 1024);
  expect(stored.size).toBeGreaterThan(2);
  expect(refusal.message).toMatch(/HTTP 507 .*out of storage space.*Nothing was stored/);
  await checkIntact(drop, stored);
  // Without JavaScript too: a clear page, not a broken connection.
  const form = await fetch(`${drop.instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b', 'sec-fetch-site': 'same-origin' }, body: `--b\r\nContent-Disposition: form-data; name="files"; filename="x.bin"\r\n\r\n${'x'.repeat(900_000)}\r\n--b--\r\n` });
  expect(form.status).toBe(507);
  expect(await form.text()).toMatch(/out of storage space/);
  await checkIntact(drop, stored);
  expect((await fetch(`${drop.instance.sourceUrl}/`)).status).toBe(200);
  expect((await drop.staff.get('/')).status).toBe(200);
  // A journalist deleting a submission makes room: sources can send again.
  const [first] = drop.instance.store.submissions.listComplete();
  await drop.instance.store.inbox.deleteSubmission(first!.id);
  const again = { name: 'after.bin', plaintext: randomBytes(100 * 1024) };
  await drop.page.send(await drop.page.reserve(again, PART, drop.key));
}, 120_000);

test.skipIf(!root)('with the guard on, new uploads are refused before the disk is full, and journalists are told', async () => {
  const drop = await dropOn(await smallDisk(8), 4);
  const { stored, refusal } = await fillUp(drop, 500 * 1024);
  expect(stored.size).toBeGreaterThan(1);
  // Refused at the reservation, before a byte of the file was sent: the free-space floor held.
  expect(refusal.message).toMatch(/reserve: HTTP 507 .*out of storage space/);
  const free = await drop.instance.store.space.free();
  expect(free).toBeGreaterThan(3 * MiB);
  await checkIntact(drop, stored);
  const inbox = await (await drop.staff.get('/')).text();
  expect(inbox).toMatch(/The server is running out of space:<\/strong> \d+ MiB free, below the 4 MiB at which new uploads are refused/);
}, 120_000);
