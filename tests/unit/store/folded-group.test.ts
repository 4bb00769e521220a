import Database from 'better-sqlite3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFileBlobStore, type BlobStore } from '../../../server/store/blobs.ts';
import { commitGroupOf } from '../../../server/store/commit-group.ts';
import { openDb, type Db } from '../../../server/store/db.ts';
import { ConflictError } from '../../../server/store/errors.ts';
import { sendIdOf, sendRepo, type Fold, type Sender } from '../../../server/store/sends.ts';
import { submissionRepo, type SubmissionRepo } from '../../../server/store/submissions.ts';
import { sourceRepo } from '../../../server/store/sources.ts';
import { SOURCE_KEY } from '../../helpers/sources.ts';
import { newSecret } from '../../helpers/folded.ts';

// Folded sends (store/sends.ts) in the connection's commit group: requests that arrive together
// share one commit, and what fold checks (the item's state, the desk, a repeated part or
// registration) is checked inside its savepoint, so two requests of one item in one group behave as
// two transactions one after the other. A second connection sees only what is committed.
let dir: string;
let objects: string;
let db: Db;
let other: Database.Database;
let blobs: BlobStore;
let sourceId: string;
const committed = (sql: string, ...args: unknown[]) => other.prepare(sql).pluck().get(...args) as number;
const bytes = (s: string) => new TextEncoder().encode(s);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-folded-group-'));
  db = openDb(path.join(dir, 'sealdrop.sqlite'));
  other = new Database(path.join(dir, 'sealdrop.sqlite'));
  objects = path.join(dir, 'objects');
  blobs = createFileBlobStore(objects);
  sourceId = sourceRepo(db).create({ loginSecret: 'a'.repeat(64), ...SOURCE_KEY, privateKey: 'k' }).id;
});
afterEach(async () => {
  other.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

/**
 * Objects are written for real (a request's part and manifest at once); then each put waits until `size` puts wait, and all go on in the
 * same turn, so the folds behind them reach the database together, as requests whose bodies ended
 * together do. `first` runs at that moment, before any of them (a change queued ahead of them).
 */
function together(size: number, first: () => void = () => {}): BlobStore {
  let waiting: (() => void)[] = [];
  return {
    ...blobs,
    async put(data) {
      const name = await blobs.put(data);
      await new Promise<void>((resolve) => {
        waiting.push(resolve);
        if (waiting.length < size) return;
        first();
        const all = waiting;
        waiting = [];
        all.forEach((go) => go());
      });
      return name;
    },
  };
}

/** The send store over `store`, its submissions' complete noting what another connection sees committed meanwhile. */
function sends(store: BlobStore, seen: number[] = []) {
  const subs = submissionRepo(db, store);
  const watched: SubmissionRepo = {
    ...subs,
    complete(id, fingerprints, desk) {
      seen.push(committed("SELECT COUNT(*) FROM submissions WHERE state = 'complete'"));
      subs.complete(id, fingerprints, desk);
    },
  };
  return sendRepo(db, store, watched, sourceRepo(db));
}

const known: Sender = { get sourceId() { return sourceId; } };
/** A request: part n of `parts` (the last one with the manifest, completing a one-part item, as the route asks). */
const request = (secret: string, parts: number, n: number, o: { sender?: Sender; tag?: string } = {}): Fold => ({
  sender: o.sender ?? known, secret, parts, reserve: [],
  part: { n, data: bytes(`${o.tag ?? secret}-${n}`) },
  manifest: n === parts ? bytes(`${o.tag ?? secret}-manifest`) : null,
  complete: n === parts && parts === 1 ? { fingerprints: [], desk: null } : null,
});
const stored = async () => (await readdir(objects).catch(() => [] as string[])).sort();
const rowBlobs = () => [
  ...(other.prepare('SELECT blob FROM parts').pluck().all() as string[]),
  ...(other.prepare('SELECT manifest_blob FROM submissions WHERE manifest_blob IS NOT NULL').pluck().all() as string[]),
].sort();

describe('folded sends share commits', () => {
  test('one-part items sent together commit in one transaction, each answered once it is committed', async () => {
    const seen: number[] = [];
    const repo = sends(together(8), seen); // two objects each, written at once
    const secrets = [newSecret(), newSecret(), newSecret(), newSecret()];
    const runs = secrets.map((s) => repo.fold(request(s, 1, 1)));
    const first = await runs[0]!;
    expect(first.done).toBe(true);
    expect(committed("SELECT COUNT(*) FROM submissions WHERE state = 'complete'")).toBe(4); // the first answer came after the commit holding all
    expect((await Promise.all(runs)).every((r) => r.done)).toBe(true);
    // Each completion ran before any of the four was committed: one transaction, not four.
    expect(seen).toEqual([0, 0, 0, 0]);
    expect(await stored()).toEqual(rowBlobs());
  });

  test('completions of items made whole share a commit too', async () => {
    const seen: number[] = [];
    const repo = sends(blobs, seen);
    const secrets = [newSecret(), newSecret()];
    for (const s of secrets) {
      await repo.fold(request(s, 2, 1));
      expect((await repo.fold(request(s, 2, 2))).whole).toBe(true);
    }
    await Promise.all(secrets.map((s) => repo.complete(sendIdOf(s), [], null)));
    expect(seen).toEqual([0, 0]); // the second ran before the first was committed
    expect(committed("SELECT COUNT(*) FROM submissions WHERE state = 'complete'")).toBe(2);
  });

  test('a COMMIT that fails refuses every request of the group: no row, no object', async () => {
    const repo = sends(together(2));
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN');
    other.prepare('SELECT COUNT(*) FROM submissions').get();
    const settled = await Promise.allSettled([repo.fold(request(newSecret(), 2, 1)), repo.fold(request(newSecret(), 2, 1))]);
    other.exec('COMMIT');
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(committed('SELECT COUNT(*) FROM submissions')).toBe(0);
    expect(await stored()).toEqual([]);
  });

  test('a refused request fails alone and stores nothing; the other is kept', async () => {
    const secret = newSecret();
    await sends(blobs).fold(request(secret, 2, 1));
    const repo = sends(together(2));
    // The same item declared with 3 parts (refused) beside a new item.
    const settled = await Promise.allSettled([repo.fold(request(secret, 3, 2)), repo.fold(request(newSecret(), 2, 1))]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'fulfilled']);
    expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(committed('SELECT COUNT(*) FROM parts')).toBe(2);
    expect(await stored()).toEqual(rowBlobs());
  });
});

describe('two requests of one item in one group behave as two transactions in turn', () => {
  test('the same part twice: one row, the later object, the earlier one deleted', async () => {
    const secret = newSecret();
    const repo = sends(together(2));
    const answers = await Promise.all([repo.fold(request(secret, 2, 1, { tag: 'x' })), repo.fold(request(secret, 2, 1, { tag: 'y' }))]);
    expect(answers.map((a) => a.whole)).toEqual([false, false]);
    expect(committed('SELECT COUNT(*) FROM parts WHERE submission_id = ?', sendIdOf(secret))).toBe(1);
    expect(await stored()).toEqual(rowBlobs());
    expect(await stored()).toHaveLength(1);
  });

  test('a one-part item and its repeat: completed once, the repeat answered done and its objects deleted', async () => {
    const secret = newSecret();
    const repo = sends(together(4));
    const answers = await Promise.all([repo.fold(request(secret, 1, 1)), repo.fold(request(secret, 1, 1))]);
    expect(answers.map((a) => a.done)).toEqual([true, true]);
    expect(committed("SELECT COUNT(*) FROM submissions WHERE state = 'complete'")).toBe(1);
    expect(await stored()).toEqual(rowBlobs());
    expect(await stored()).toHaveLength(2); // one part, one manifest
  });

  test('the last part and its repeat: both find the item whole; of two completions in one group the second is refused as completed', async () => {
    const secret = newSecret();
    await sends(blobs).fold(request(secret, 2, 1));
    const repo = sends(together(4));
    const answers = await Promise.all([repo.fold(request(secret, 2, 2, { tag: 'x' })), repo.fold(request(secret, 2, 2, { tag: 'y' }))]);
    expect(answers.map((a) => a.whole)).toEqual([true, true]);
    expect(await stored()).toEqual(rowBlobs());
    expect(await stored()).toHaveLength(3); // two parts and one manifest: the replaced part and manifest went
    const settled = await Promise.allSettled([repo.complete(sendIdOf(secret), [], null), repo.complete(sendIdOf(secret), [], null)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    expect((settled[1] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(repo.state(secret).state).toBe('complete');
  });

  test('a registration repeated in one group registers one source; the same login with another key is refused alone', async () => {
    const secret = newSecret();
    const login = 'b'.repeat(64);
    const register = (privateKey: string): Sender => ({ register: { loginSecret: login, ...SOURCE_KEY, privateKey }, deskId: null });
    const keys = ['mine', 'mine', 'not mine'];
    const repo = sends(together(3));
    const settled = await Promise.allSettled(keys.map((k, i) => repo.fold(request(i < 2 ? secret : newSecret(), 2, 1, { sender: register(k), tag: String(i) }))));
    // Whichever registration ran first made the source; a request with the other key is refused.
    const made = other.prepare('SELECT id, private_key FROM sources WHERE id != ?').all(sourceId) as { id: string; private_key: string }[];
    expect(made).toHaveLength(1);
    expect(settled.map((s) => s.status)).toEqual(keys.map((k) => (k === made[0]!.private_key ? 'fulfilled' : 'rejected')));
    for (const s of settled) {
      if (s.status === 'fulfilled') expect(s.value.sourceId).toBe(made[0]!.id);
      else expect(s.reason).toBeInstanceOf(ConflictError);
    }
    expect(committed('SELECT COUNT(*) FROM submissions')).toBe(1);
    expect(await stored()).toEqual(rowBlobs());
  });

  test('a desk move queued just ahead in the same group refuses the completion checked inside the savepoint', async () => {
    const desk = Number(db.prepare("INSERT INTO desks (name, texts, created_day) VALUES ('d', '{}', '2026-01-01')").run().lastInsertRowid);
    let moved: Promise<unknown> | null = null;
    let releases = 0;
    // Queued as the manifest's object is written, just before the request reaches the database.
    const move = () => (moved = commitGroupOf(db).run(() => db.prepare('UPDATE sources SET desk_id = ? WHERE id = ?').run(desk, sourceId)));
    const repo = sends(together(1, () => ++releases === 2 && move()));
    const settled = await Promise.allSettled([repo.fold(request(newSecret(), 1, 1))]);
    await moved;
    expect(settled.map((s) => s.status)).toEqual(['rejected']);
    expect((settled[0] as PromiseRejectedResult).reason).toBeInstanceOf(ConflictError);
    expect(committed('SELECT desk_id FROM sources WHERE id = ?', sourceId)).toBe(desk);
    expect(committed('SELECT COUNT(*) FROM submissions')).toBe(0);
    expect(await stored()).toEqual([]);
  });
});

describe('review findings', () => {
  test('a manifest write that fails leaves no file of the part written beside it', async () => {
    let puts = 0;
    const failing: BlobStore = {
      ...blobs,
      async put(data) {
        if (++puts === 2) throw new Error('disk full');
        return blobs.put(data);
      },
    };
    const settled = await Promise.allSettled([sends(failing).fold(request(newSecret(), 1, 1))]);
    expect(settled[0]!.status).toBe('rejected');
    expect(committed('SELECT COUNT(*) FROM submissions')).toBe(0);
    expect(await stored()).toEqual([]);
  });

  test('an item completed before the group runs: an unknown login makes no source and is refused; its owner is answered', async () => {
    const secret = newSecret();
    const repo = sends(blobs);
    expect((await repo.fold(request(secret, 1, 1))).done).toBe(true);
    const register = (loginSecret: string, privateKey: string): Sender => ({ register: { loginSecret, ...SOURCE_KEY, privateKey }, deskId: null });
    const sourcesBefore = committed('SELECT COUNT(*) FROM sources');
    for (const stranger of [register('c'.repeat(64), 'k'), register('a'.repeat(64), 'other key')]) {
      await expect(repo.fold(request(secret, 1, 1, { sender: stranger, tag: 'late' }))).rejects.toBeInstanceOf(ConflictError);
    }
    expect(committed('SELECT COUNT(*) FROM sources')).toBe(sourcesBefore);
    const again = await repo.fold(request(secret, 1, 1, { sender: register('a'.repeat(64), 'k'), tag: 'again' }));
    expect(again).toMatchObject({ sourceId, done: true, already: true });
    expect(await stored()).toEqual(rowBlobs());
  });
});
