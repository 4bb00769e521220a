import Database from 'better-sqlite3';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { createFileBlobStore, type BlobStore } from '../../../server/store/blobs.ts';
import { commitGroup, commitGroupOf } from '../../../server/store/commit-group.ts';
import { openDb, type Db } from '../../../server/store/db.ts';
import { submissionRepo } from '../../../server/store/submissions.ts';
import { sourceRepo } from '../../../server/store/sources.ts';
import { SOURCE_KEY } from '../../helpers/sources.ts';

// Grouped commits (server/store/commit-group.ts): changes queued together commit in one
// transaction, each in its own savepoint; a promise settles only after its commit. A second
// connection to the same file sees only what is committed, as the CLI or a restarted server would.
let dir: string;
let file: string;
let db: Db;
let other: Database.Database;
const bytes = (s: string) => new TextEncoder().encode(s);
const committed = (sql: string) => other.prepare(sql).pluck().get() as number;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-group-'));
  file = path.join(dir, 'sealdrop.sqlite');
  db = openDb(file);
  other = new Database(file);
});
afterEach(async () => {
  other.close();
  db.close();
  await rm(dir, { recursive: true, force: true });
});

describe('commitGroup', () => {
  beforeEach(() => db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)'));
  const insert = (n: number) => () => db.prepare('INSERT INTO t (n) VALUES (?)').run(n).changes;

  test('changes queued together commit in one transaction, and each promise resolves once it is committed', async () => {
    const group = commitGroup(db);
    const seenByOther: number[] = [];
    const runs = [1, 2, 3].map((n) =>
      group.run(() => {
        seenByOther.push(committed('SELECT COUNT(*) FROM t')); // nothing of this group is committed while it runs
        return insert(n)();
      }),
    );
    expect(committed('SELECT COUNT(*) FROM t')).toBe(0); // queued, not yet run
    await runs[0];
    expect(committed('SELECT COUNT(*) FROM t')).toBe(3); // the first answer comes after the one commit holding all three
    expect(await Promise.all(runs)).toEqual([1, 1, 1]);
    expect(seenByOther).toEqual([0, 0, 0]);
  });

  test('a refused change fails only its caller and leaves nothing of itself', async () => {
    const group = commitGroup(db);
    const refused = new Error('completed meanwhile');
    const runs = [
      group.run(insert(1)),
      group.run(() => {
        insert(2)();
        throw refused;
      }),
      group.run(insert(3)),
    ];
    const settled = await Promise.allSettled(runs);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((settled[1] as PromiseRejectedResult).reason).toBe(refused);
    expect(other.prepare('SELECT n FROM t ORDER BY n').pluck().all()).toEqual([1, 3]);
  });

  test('a COMMIT that fails refuses every change of the group and stores none', async () => {
    const group = commitGroup(db);
    db.pragma('busy_timeout = 0');
    // A reader in the middle of a transaction (the CLI exporting, say): the writer cannot take the
    // exclusive lock COMMIT needs, and fails at COMMIT, after every change ran.
    other.exec('BEGIN');
    other.prepare('SELECT COUNT(*) FROM t').get();
    const settled = await Promise.allSettled([group.run(insert(1)), group.run(insert(2))]);
    other.exec('COMMIT');
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(String((settled[0] as PromiseRejectedResult).reason)).toMatch(/locked|busy/i);
    expect(committed('SELECT COUNT(*) FROM t')).toBe(0);
    expect(db.inTransaction).toBe(false);
    // The next group commits normally.
    await group.run(insert(4));
    expect(committed('SELECT COUNT(*) FROM t')).toBe(1);
  });

  test('a full database, which makes SQLite roll back the whole transaction, refuses the whole group: no later change commits on its own', async () => {
    const group = commitGroup(db);
    db.exec('CREATE TABLE big (b BLOB)');
    db.pragma(`max_page_count = ${(db.pragma('page_count', { simple: true }) as number) + 4}`);
    const settled = await Promise.allSettled([
      group.run(insert(1)),
      group.run(() => db.prepare('INSERT INTO big VALUES (zeroblob(100000))').run()),
      group.run(insert(3)),
    ]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(committed('SELECT COUNT(*) FROM t')).toBe(0);
  });
});

describe('parts through the submission store', () => {
  let objects: string;
  let blobs: BlobStore;
  let sourceId: string;
  beforeEach(() => {
    objects = path.join(dir, 'objects');
    blobs = createFileBlobStore(objects);
    sourceId = sourceRepo(db).create({ loginSecret: 'a'.repeat(64), ...SOURCE_KEY, privateKey: 'k' }).id;
  });

  test('many parts stored at once are all committed, with their objects, when their answers come', async () => {
    const repo = submissionRepo(db, blobs);
    const ids = Array.from({ length: 8 }, () => repo.create(sourceId, 3));
    await Promise.all(ids.flatMap((id) => [1, 2, 3].map((n) => repo.putPart(id, n, bytes(`${id}-${n}`)))));
    const rows = other.prepare('SELECT blob FROM parts').pluck().all() as string[];
    expect(rows).toHaveLength(24);
    expect((await readdir(objects)).sort()).toEqual([...rows].sort());
  });

  test('a part whose submission was discarded while its object was written is refused alone; its object goes', async () => {
    const repo = submissionRepo(db, blobs);
    const [kept, doomed] = [repo.create(sourceId, 1), repo.create(sourceId, 1)];
    const doomedBytes = bytes('doomed');
    // The discard lands after the doomed part's object is written, before the group commits.
    const racing: BlobStore = {
      ...blobs,
      async put(data) {
        const name = await blobs.put(data);
        if (data === doomedBytes) await repo.discard(doomed);
        return name;
      },
    };
    const racingRepo = submissionRepo(db, racing);
    const settled = await Promise.allSettled([racingRepo.putPart(kept, 1, bytes('kept')), racingRepo.putPart(doomed, 1, doomedBytes)]);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'rejected']);
    const rows = other.prepare('SELECT submission_id, blob FROM parts').all() as { submission_id: string; blob: string }[];
    expect(rows.map((r) => r.submission_id)).toEqual([kept]);
    expect(await readdir(objects)).toEqual([rows[0]!.blob]);
  });

  test('a failed commit stores no row and leaves no object', async () => {
    const repo = submissionRepo(db, blobs);
    const id = repo.create(sourceId, 2);
    db.pragma('busy_timeout = 0');
    other.exec('BEGIN');
    other.prepare('SELECT COUNT(*) FROM parts').get();
    const settled = await Promise.allSettled([repo.putPart(id, 1, bytes('one')), repo.putPart(id, 2, bytes('two'))]);
    other.exec('COMMIT');
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(committed('SELECT COUNT(*) FROM parts')).toBe(0);
    expect(await readdir(objects)).toEqual([]);
  });
});

describe('commitGroupOf', () => {
  test('repositories on one connection share its group: their changes commit together', async () => {
    db.exec('CREATE TABLE t (n INTEGER PRIMARY KEY)');
    const seen: number[] = [];
    const change = (n: number) => () => {
      seen.push(committed('SELECT COUNT(*) FROM t'));
      db.prepare('INSERT INTO t (n) VALUES (?)').run(n);
    };
    await Promise.all([commitGroupOf(db).run(change(1)), commitGroupOf(db).run(change(2))]);
    expect(seen).toEqual([0, 0]); // the second ran before the first was committed: one transaction
    expect(committed('SELECT COUNT(*) FROM t')).toBe(2);
  });
});
