import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { hashPassphrase } from '../../server/auth/passwords.ts';
import { currentStep, newTotpSecret, totpCode } from '../../server/auth/totp.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance } from '../helpers/instance.ts';
import { killableServer, type KillableServer } from '../helpers/killable-server.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { StaffClient } from '../helpers/staff-client.ts';
import { SourcePage } from './crash-clients.ts';

// `sealdrop backup` while sources keep uploading, then `sealdrop restore` into a fresh directory,
// a server started on it, and every submission decrypted through its journalist interface.
const PART = 128 * 1024;
let server: KillableServer;
let work: string;
let key: PublicKey;
let keyFile: string;
let page: SourcePage;
const totp = newTotpSecret();
const passphrase = 'backup desk walks past seven harbours';
const files = new Map<string, Buffer>();

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-backup-'));
  const pair = await generateKeyPair({ name: 'Backup desk' });
  key = (await readJournalistKey(pair.publicKey)).key;
  keyFile = path.join(work, 'desk.asc');
  await writeFile(keyFile, pair.privateKey);
  server = await killableServer(pair.publicKey, { SEALDROP_PART_SIZE: String(PART), SEALDROP_MIN_FREE_MIB: '0' }, async (store, id) => {
    store.journalists.setCredentials(id, { passwordHash: await hashPassphrase(passphrase), totpSecret: totp });
  });
  await server.start();
  const salt = ((await (await fetch(`${server.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  page = new SourcePage(server.sourceUrl, (await deriveSourceSecrets((await registerApiSource(server.sourceUrl)).codename, salt)).loginSecret);
  await page.login();
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
  await rm(work, { recursive: true, force: true });
});

async function upload(size: number): Promise<string> {
  const name = `b-${files.size}-${randomBytes(3).toString('hex')}.bin`;
  const plaintext = randomBytes(size);
  await page.send(await page.reserve({ name, plaintext }, PART, key));
  files.set(name, plaintext);
  return name;
}

test('a backup taken under load restores into a fresh directory that a server runs on, every submission decrypting whole', async () => {
  for (let i = 0; i < 6; i++) await upload(200_000 + i * 150_000);
  const before = new Set(files.keys());
  let loading = true;
  const load = Promise.all([0, 1].map(async () => {
    let n = 0;
    while (loading) n += (await upload(300_000), 1);
    return n;
  }));
  const out = path.join(work, 'drop.backup');
  const started = performance.now();
  const made = await sealdrop(['backup', '--data', server.dataDir, '--out', out]);
  const backupSeconds = (performance.now() - started) / 1000;
  loading = false;
  const during = (await load).reduce((a, b) => a + b, 0);
  expect(made.code, made.stderr).toBe(0);
  expect(made.stdout).toMatch(/Backed up the database, \d+ object\(s\) to /);
  expect(made.stdout).toMatch(/can read all of it:\n {2}jo \(admin\) [0-9A-F]{40}\n/);
  expect(during).toBeGreaterThan(0); // sources really were uploading while it ran
  // The TOTP key file is not in the backup: it has its own export, restored beside it.
  const keyExport = path.join(work, 'key.export');
  expect((await sealdrop(['backup', '--key-file', '--data', server.dataDir, '--out', keyExport])).code).toBe(0);

  const digest = /^SHA-256: ([0-9a-f]{64})$/m.exec(made.stdout)?.[1];
  expect(digest).toBeDefined();
  const restored = path.join(work, 'restored');
  const replaced = await sealdrop(['restore', '--in', out, '--sha256', 'ab'.repeat(32), '--key', keyFile, '--key-file-in', keyExport, '--data', restored]);
  expect(replaced.code).toBe(2);
  expect(replaced.stderr).toMatch(/not the backup whose digest you gave/);
  const t = performance.now();
  const res = await sealdrop(['restore', '--in', out, '--sha256', digest!, '--key', keyFile, '--key-file-in', keyExport, '--data', restored]);
  const restoreSeconds = (performance.now() - t) / 1000;
  expect(res.code, res.stderr).toBe(0);
  const objects = (await readdir(path.join(restored, 'objects'))).length;

  const instance = await startInstance({ SEALDROP_DATA: restored });
  try {
    expect((await readdir(path.join(restored, 'objects'))).length).toBe(objects); // the start-up sweep found no orphan
    const staff = new StaffClient(instance.journalistUrl);
    expect((await staff.login('jo', passphrase, totpCode(totp, currentStep()))).status).toBe(303); // the TOTP key came back too
    const privateKey = await readPrivateKey(await readFile(keyFile, 'utf8'));
    const get = async (id: string, object: string) => new Uint8Array(await (await staff.get(`/submissions/${id}/${object}`)).arrayBuffer());
    const names: string[] = [];
    for (const s of instance.store.submissions.listComplete()) {
      const manifest = await openManifest({ data: await get(s.id, 'manifest.pgp'), keys: [privateKey] });
      const chunks: Uint8Array[] = [];
      await openSubmission({ manifest, keys: [privateKey], readPart: (n) => get(s.id, `part-${String(n).padStart(5, '0')}.pgp`), write: async (b) => void chunks.push(b) });
      expect(Buffer.concat(chunks).equals(files.get(manifest.name)!)).toBe(true);
      names.push(manifest.name);
    }
    for (const name of before) expect(names).toContain(name); // all that was stored before the backup began
    console.log(JSON.stringify({ name: 'backup-under-load', submissions: names.length, uploadsDuringBackup: during, objects, backupMiB: +((await stat(out)).size / 1048576).toFixed(2), backupSeconds: +backupSeconds.toFixed(2), restoreSeconds: +restoreSeconds.toFixed(2) }));
  } finally {
    await instance.stop();
  }
}, 120_000);

const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

test('a damaged backup, or the wrong key, restores nothing and leaves no directory behind', async () => {
  const out = path.join(work, 'small.backup');
  expect((await sealdrop(['backup', '--data', server.dataDir, '--out', out])).code).toBe(0);
  const bytes = await readFile(out);
  const damaged = path.join(work, 'damaged.backup');
  bytes[Math.floor(bytes.length / 2)]! ^= 0x01;
  await writeFile(damaged, bytes);
  const target = path.join(work, 'from-damaged');
  // The damaged file's own digest: past that check, the envelope's own verification must catch it.
  const res = await sealdrop(['restore', '--in', damaged, '--sha256', await sha256(damaged), '--key', keyFile, '--reset-2fa', '--data', target]);
  expect(res.code).toBe(1);
  expect(res.stderr).toMatch(/could not be decrypted|does not match/);
  const other = await generateKeyPair({ name: 'Stranger' });
  const strangerKey = path.join(work, 'stranger.asc');
  await writeFile(strangerKey, other.privateKey);
  const digest = await sha256(out);
  const wrong = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', strangerKey, '--reset-2fa', '--data', target]);
  expect(wrong.code).toBe(1);
  expect((await readdir(work)).filter((f) => f.startsWith('from-damaged'))).toEqual([]);
  // A target that is a file, or a directory with anything in it, is refused and left as it was.
  const precious = path.join(work, 'precious.txt');
  await writeFile(precious, 'keep me');
  const onFile = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', keyFile, '--reset-2fa', '--data', precious]);
  expect(onFile.code).toBe(2);
  expect(await readFile(precious, 'utf8')).toBe('keep me');
  const full = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', keyFile, '--reset-2fa', '--data', work]);
  expect(full.code).toBe(2);
  expect(full.stderr).toMatch(/is not empty/);
});

test('a backup to a separate backup key opens with that key only', async () => {
  const backupPair = await generateKeyPair({ name: 'Backup key' });
  const publicFile = path.join(work, 'backup-public.asc');
  const privateFile = path.join(work, 'backup-private.asc');
  await writeFile(publicFile, backupPair.publicKey);
  await writeFile(privateFile, backupPair.privateKey);
  const out = path.join(work, 'keyed.backup');
  const made = await sealdrop(['backup', '--data', server.dataDir, '--out', out, '--to', publicFile]);
  expect(made.code, made.stderr).toBe(0);
  const keyExport = path.join(work, 'keyed.key-export');
  expect((await sealdrop(['backup', '--key-file', '--data', server.dataDir, '--out', keyExport, '--to', publicFile])).code).toBe(0);
  const digest = await sha256(out);
  expect((await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', keyFile, '--key-file-in', keyExport, '--data', path.join(work, 'no')])).code).toBe(1);
  const res = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', privateFile, '--key-file-in', keyExport, '--data', path.join(work, 'yes')]);
  expect(res.code, res.stderr).toBe(0);
  expect(res.stdout).toMatch(/every part and the whole were verified/);
  expect(res.stdout).toMatch(/opens all 1 journalist\(s\)' TOTP secrets/);
  expect(res.stdout).toMatch(/check that these journalists and keys are yours[^]*\n  jo \(admin\) [0-9A-Fa-f]{40}/);
});
