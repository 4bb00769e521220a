import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { hashPassphrase } from '../../server/auth/passwords.ts';
import { currentStep, newTotpSecret, totpCode } from '../../server/auth/totp.ts';
import { daysBefore, today } from '../../server/store/day.ts';
import { startInstance } from '../helpers/instance.ts';
import { killableServer, type KillableServer } from '../helpers/killable-server.ts';
import { newSource, registerApiSource } from '../helpers/sources.ts';
import { Desk, SourcePage } from './crash-clients.ts';

// Retention end to end: SEALDROP_RETENTION_DAYS purges at start-up, an administrator's change on
// the web purges at once, and the hourly run catches what ages while the server runs. Each time
// the bytes must be gone from every file of the data directory: objects, database, journal.
const PART = 64 * 1024;
let server: KillableServer;
let key: PublicKey;
let page: SourcePage;
const totp = newTotpSecret();
const passphrase = 'retention desk walks past seven harbours';

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Retention desk' });
  key = (await readJournalistKey(pair.publicKey)).key;
  server = await killableServer(pair.publicKey, { SEALDROP_RETENTION_DAYS: '30', SEALDROP_PART_SIZE: String(PART), SEALDROP_MIN_FREE_MIB: '0' }, async (store, id) => {
    store.journalists.setCredentials(id, { passwordHash: await hashPassphrase(passphrase), totpSecret: totp });
  });
  await server.start();
  const salt = ((await (await fetch(`${server.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  page = new SourcePage(server.sourceUrl, (await deriveSourceSecrets((await registerApiSource(server.sourceUrl)).codename, salt)).loginSecret);
}, 60_000);
afterAll(() => server?.cleanup());

/** A complete submission through the API; returns its id and pieces of its stored bytes to search for. */
async function upload(): Promise<{ id: string; needles: string[] }> {
  await page.login();
  const file = await page.reserve({ name: `r-${randomBytes(4).toString('hex')}.bin`, plaintext: randomBytes(150_000) }, PART, key);
  await page.send(file);
  const id = file.submission!;
  // Ciphertext is random-looking: 48 bytes from the middle of each object cannot occur by chance.
  const pieces = [file.manifest, ...file.parts].map((o) => Buffer.from(o.subarray(Math.floor(o.length / 2), Math.floor(o.length / 2) + 48)).toString('latin1'));
  return { id, needles: [id, ...pieces] };
}

function age(id: string, days: number): void {
  const db = new Database(path.join(server.dataDir, 'sealdrop.sqlite'));
  try {
    db.prepare('UPDATE submissions SET created_day = ? WHERE id = ?').run(daysBefore(today(), days), id);
  } finally {
    db.close();
  }
}

/** Searches every file of the data directory, byte for byte (latin1 keeps each byte as one character). */
async function remnants(needles: string[], dir = server.dataDir): Promise<string[]> {
  const hits: string[] = [];
  const files = await readdir(dir, { recursive: true, withFileTypes: true });
  for (const f of files.filter((e) => e.isFile())) {
    const bytes = await readFile(path.join(f.parentPath, f.name));
    for (const n of needles) if (bytes.includes(Buffer.from(n, 'latin1'))) hits.push(`${f.name}: ${n.length} bytes`);
  }
  return hits;
}

const completeIds = () => {
  const db = new Database(path.join(server.dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    return (db.prepare("SELECT id FROM submissions WHERE state = 'complete'").all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
};

test('SEALDROP_RETENTION_DAYS purges at start-up: rows, objects and every byte of them, and nothing younger', async () => {
  const [old, young] = [await upload(), await upload()];
  expect(await remnants(old.needles)).not.toEqual([]); // the search finds what is there
  await server.kill();
  age(old.id, 31);
  age(young.id, 29);
  await server.start();
  expect(completeIds()).not.toContain(old.id);
  expect(completeIds()).toContain(young.id);
  expect(await remnants(old.needles), 'purged bytes left on disk').toEqual([]);
  expect(await remnants(young.needles)).not.toEqual([]);
  expect(server.output()).toMatch(/"event":"purged","objects":4/); // its manifest and 3 parts
});

test('an administrator changes retention on the web: it applies at once and the page says so', async () => {
  const target = await upload();
  age(target.id, 12);
  const desk = new Desk(server.journalistUrl);
  await desk.login('jo', passphrase, totpCode(totp, currentStep()));
  const bad = await desk.staff.post('/admin/retention', { csrf: desk.staff.csrf, days: '-3' });
  expect(bad.status).toBe(400);
  expect(completeIds()).toContain(target.id); // a refused change changes nothing
  const res = await desk.staff.post('/admin/retention', { csrf: desk.staff.csrf, days: '10' });
  expect(res.status).toBe(303);
  expect(completeIds()).not.toContain(target.id);
  expect(await remnants(target.needles)).toEqual([]);
  const admin = await (await desk.staff.get('/admin/retention')).text();
  expect(admin).toMatch(/Submissions and replies are deleted after 10 days\./);
  // Kept across a restart: the setting lives in the database, over the configured 30.
  await server.kill();
  await server.start();
  await desk.login('jo', passphrase, totpCode(totp, currentStep() + 1));
  expect(await (await desk.staff.get('/admin/retention')).text()).toMatch(/deleted after 10 days\./);
  await desk.staff.post('/admin/retention', { csrf: desk.staff.csrf, days: '' });
  expect(await (await desk.staff.get('/admin/retention')).text()).toMatch(/deleted after 30 days \(the server’s setting/);
});

test('the periodic purge removes what ages while the server runs, with no restart', async () => {
  const instance = await startInstance({ SEALDROP_RETENTION_DAYS: '7' }, { purgeEveryMs: 200 });
  try {
    const source = newSource(instance.store);
    const id = instance.store.submissions.create(source.id, 1);
    const secret = randomBytes(64);
    await instance.store.submissions.putPart(id, 1, secret);
    await instance.store.submissions.putManifest(id, randomBytes(64));
    instance.store.submissions.complete(id);
    await new Promise((r) => setTimeout(r, 500));
    expect(instance.store.submissions.listComplete().map((s) => s.id)).toContain(id); // young: kept
    const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
    db.prepare('UPDATE submissions SET created_day = ? WHERE id = ?').run(daysBefore(today(), 8), id);
    db.close();
    const deadline = Date.now() + 5000;
    while (instance.store.submissions.listComplete().some((s) => s.id === id) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(instance.store.submissions.listComplete().map((s) => s.id)).not.toContain(id);
    expect(await remnants([id, secret.toString('latin1')], instance.config.dataDir)).toEqual([]);
    expect(await instance.objectFiles()).toEqual([]);
  } finally {
    await instance.stop();
  }
});
