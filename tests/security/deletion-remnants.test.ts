import { createHash, randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { daysBefore, today } from '../../server/store/day.ts';
import { DatabaseBusyError } from '../../server/store/db.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { SOURCE_KEY } from '../helpers/sources.ts';
import { checkSourceKeyPair, generateSourceKeyPair } from '../../common/envelope/index.ts';

// Threat: the server is seized while it runs (a live image of its data directory). What a
// journalist deleted, a source deleted, or retention purged must be on no file there: not in the
// database, not in a write-ahead log or rollback journal beside it.
let dir: string;
let store: Store;

/** An armored private key's shape: the test looks for its base64 body. */
function lockedKey(bytes: number): { armored: string; body: string } {
  const body = randomBytes(bytes).toString('base64').replace(/(.{64})/g, '$1\n').trim();
  return { armored: `-----BEGIN PGP PRIVATE KEY BLOCK-----\n\n${body}\n-----END PGP PRIVATE KEY BLOCK-----\n`, body };
}

type Traced = { id: string; designation: string; needles: string[]; submission: string; reply: string };

/** A source with one complete submission and one reply; every string it leaves in the database is a needle. */
async function tracedSource(keyBytes: number): Promise<Traced> {
  const login = randomBytes(32).toString('hex');
  const key = lockedKey(keyBytes);
  // A real source key (the store refuses a key ID that is not its key's); its first armour line holds the random public point.
  const pair = await generateSourceKeyPair({ passphrase: login });
  const real = await checkSourceKeyPair(pair.publicKey, pair.privateKey);
  const publicKey = real.publicKey.split('\n')[2]!;
  const { id, designation } = store.sources.create({ loginSecret: login, publicKey: real.publicKey, privateKey: key.armored, recipientKeyId: real.recipientKeyId });
  const submission = store.submissions.create(id, 2);
  for (const n of [1, 2]) await store.submissions.putPart(submission, n, randomBytes(300));
  await store.submissions.putManifest(submission, randomBytes(200));
  store.submissions.complete(submission);
  const reply = await store.replies.add(id, randomBytes(400));
  const { manifest, parts } = store.submissions.objects(submission);
  const loginHash = createHash('sha256').update(`sealdrop-login:${login}`).digest('hex');
  // Key lines are searched one by one: a page boundary may split the body, not a 64-character line.
  const keyLines = key.body.split('\n').filter((l) => l.length === 64);
  const needles = [id, designation, loginHash, publicKey, submission, reply, manifest, ...parts, store.replies.blobOf(reply, id), ...keyLines];
  return { id, designation, needles, submission, reply };
}

let kept: Traced;
let doomed: Traced[];

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-remnants-'));
  store = openStore(dir);
  kept = await tracedSource(900);
  // A large key spills onto overflow pages; a small one shares a page with the kept source.
  doomed = [await tracedSource(900), await tracedSource(6000), await tracedSource(900)];
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

test('deleted submissions, sources and replies and purged uploads leave no copy in any file of the data directory', async () => {
  const [whole, big, partly] = doomed as [Traced, Traced, Traced];
  await store.inbox.deleteSource(whole.id);
  await store.inbox.deleteSource(big.id);
  await store.inbox.deleteSubmission(partly.submission);
  store.replies.markRead(partly.reply, partly.id);
  await store.replies.delete(partly.reply, partly.id);
  // An abandoned first visit: a source and a half-sent upload, purged after a day (with the emptied source above).
  const key = lockedKey(900);
  const abandoned = store.sources.create({ loginSecret: randomBytes(32).toString('hex'), ...SOURCE_KEY, privateKey: key.armored });
  const pending = store.submissions.create(abandoned.id, 3);
  const before = new Set(await readdir(path.join(dir, 'objects')));
  await store.submissions.putPart(pending, 1, randomBytes(100));
  const half = (await readdir(path.join(dir, 'objects'))).find((n) => !before.has(n));
  expect(await store.submissions.purge(null, daysBefore(today(), -2))).toBe(1);
  const gone = [...whole.needles, ...big.needles, ...partly.needles, abandoned.id, abandoned.designation, pending, half!, ...key.body.split('\n').filter((l) => l.length === 64)];
  expect(await findBytes([dir], gone), `files: ${(await readdir(dir)).join(', ')}`).toEqual([]);
  // The search does find what was not deleted.
  expect(await findBytes([dir], [kept.id, kept.designation])).toHaveLength(2);
});

test('a retention purge leaves no copy either, while the store is still open', async () => {
  expect(await store.submissions.purge(30, daysBefore(today(), -400))).toBeGreaterThan(0);
  expect(await findBytes([dir], kept.needles), `files: ${(await readdir(dir)).join(', ')}`).toEqual([]);
});

/** A data directory as an older Sealdrop left it: a write-ahead log holding a row it had deleted. */
async function walImage(): Promise<{ image: string; gone: string; keep: string }> {
  const old = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-wal-'));
  openStore(old).close();
  const raw = new Database(path.join(old, 'sealdrop.sqlite'));
  raw.pragma('journal_mode = WAL');
  raw.pragma('secure_delete = ON');
  const [gone, keep] = [`gone-${randomBytes(8).toString('hex')}`, `kept-${randomBytes(8).toString('hex')}`];
  const insert = raw.prepare('INSERT INTO sources (id, designation, login_hash, created_day) VALUES (?, ?, ?, ?)');
  for (const id of [gone, keep]) insert.run(id, id, id, today());
  raw.prepare('DELETE FROM sources WHERE id = ?').run(gone);
  // The files as they are while that process runs (or after it crashed).
  const image = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-wal-image-'));
  for (const f of await readdir(old)) if (f.startsWith('sealdrop.sqlite')) await copyFile(path.join(old, f), path.join(image, f));
  raw.close();
  await rm(old, { recursive: true, force: true });
  return { image, gone, keep };
}

test('a database left in WAL mode is converted on open: committed rows kept, the log and its deleted rows gone', async () => {
  const { image, gone, keep } = await walImage();
  try {
    expect(await findBytes([image], [gone])).not.toEqual([]);
    const reopened = openStore(image);
    try {
      expect(reopened.sources.get(keep).designation).toBe(keep);
      expect(await readdir(image)).not.toContain('sealdrop.sqlite-wal');
      expect(await findBytes([image], [gone])).toEqual([]);
    } finally {
      reopened.close();
    }
  } finally {
    await rm(image, { recursive: true, force: true });
  }
});

test('while a process still writes a write-ahead log, opening fails clearly instead of joining it', async () => {
  const other = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-wal-busy-'));
  openStore(other).close();
  const raw = new Database(path.join(other, 'sealdrop.sqlite'));
  try {
    raw.pragma('journal_mode = WAL');
    raw.prepare('SELECT COUNT(*) FROM sources').get();
    expect(() => openStore(other)).toThrow(DatabaseBusyError);
    expect(() => openStore(other)).toThrow(/in use by another process/);
  } finally {
    raw.close();
    await rm(other, { recursive: true, force: true });
  }
});

test('without a write-ahead log the CLI still reads and writes beside the running server', async () => {
  const shared = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-two-'));
  const server = openStore(shared);
  const cli = openStore(shared);
  try {
    const a = server.sources.create({ loginSecret: 'a'.repeat(64), ...SOURCE_KEY, privateKey: 'k' });
    expect(cli.sources.get(a.id).designation).toBe(a.designation);
    const b = cli.sources.create({ loginSecret: 'b'.repeat(64), ...SOURCE_KEY, privateKey: 'k' });
    expect(server.sources.get(b.id).designation).toBe(b.designation);
    expect((await readdir(shared)).filter((f) => f.endsWith('-wal') || f.endsWith('-shm'))).toEqual([]);
  } finally {
    cli.close();
    server.close();
    await rm(shared, { recursive: true, force: true });
  }
});
