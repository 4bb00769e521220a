import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { MIGRATIONS, MigrationError, openDb } from '../../server/store/db.ts';
import { NotFoundError, openStore } from '../../server/store/index.ts';

// Upgrades from every earlier schema, on data directories made by the old code itself (each
// commit's own store API: tests/fixtures/schema/README.md), and a failed upgrade that changes nothing.
const FIXTURES = path.resolve('tests/fixtures/schema');
type Expected = {
  journalists: string[];
  sources: { id: string; designation: string }[];
  submissions: { id: string; state: 'complete' | 'pending'; parts: string[]; manifest: string | null }[];
  replies?: { id: string; content: string }[];
};
const expected = JSON.parse(await readFile(path.join(FIXTURES, 'expected.json'), 'utf8')) as Record<string, Expected>;
const text = (b: Uint8Array) => Buffer.from(b).toString('utf8');
const sha256 = async (file: string) => createHash('sha256').update(await readFile(file)).digest('hex');

let dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  dirs = [];
});

/** A copy of a fixture: opening migrates in place, and the fixture must stay as the old code left it. */
async function copyOf(version: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `sealdrop-migrate-${version}-`));
  dirs.push(dir);
  await cp(path.join(FIXTURES, version), dir, { recursive: true });
  return dir;
}

describe.each(['v1', 'v2', 'v3', 'v4', 'v5', 'v6', 'v7', 'v8'])('a data directory made at schema %s', (version) => {
  test('upgrades to the current schema with every row and object intact and usable', async () => {
    const want = expected[version]!;
    const dir = await copyOf(version);
    const store = openStore(dir);
    try {
      expect(store.journalists.list().map((j) => j.username).sort()).toEqual([...want.journalists].sort());
      const complete = want.submissions.filter((s) => s.state === 'complete');
      expect(store.submissions.listComplete().map((s) => s.id).sort()).toEqual(complete.map((s) => s.id).sort());
      for (const s of complete) {
        const objects = store.submissions.objects(s.id);
        expect(text(await store.blobs.read(objects.manifest))).toBe(s.manifest);
        expect(await Promise.all(objects.parts.map(async (b) => text(await store.blobs.read(b))))).toEqual(s.parts);
      }
      // An upload begun before the upgrade is not taken for a cut no-JS one at start; but it has no
      // secret (schema 7), so nobody can reach it any more: the abandoned-upload purge drops it.
      expect(await store.submissions.dropCutUploads()).toBe(0);
      const pending = want.submissions.filter((x) => x.state === 'pending');
      for (const s of pending) expect(() => store.submissions.received(s.id, randomBytes(32).toString('hex'))).toThrow(NotFoundError);
      for (const src of want.sources) expect(store.sources.get(src.id).designation).toBe(src.designation);
      for (const r of want.replies ?? []) {
        expect(text(await store.blobs.read(store.replies.blobById(r.id)))).toBe(r.content);
      }
      // The list shows every conversation with a complete item (the pending upload counts for nothing).
      const listed = store.inbox.page(1, 'all', 1);
      expect(listed.lines.map((l) => l.id).sort()).toEqual(want.sources.map((x) => x.id).sort());
      expect(listed.lines.map((l) => l.items)).toEqual(want.sources.map(() => 1));
      expect(await store.submissions.sweepOrphans()).toBe(0); // every object is still named by a row
      expect(await store.submissions.purge(null, '2099-01-01')).toBe(pending.reduce((n, s) => n + s.parts.length, 0));
      expect(store.submissions.listComplete()).toHaveLength(complete.length);
    } finally {
      store.close();
    }
    const db = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      expect(db.pragma('foreign_key_check')).toEqual([]);
      // Replies written before schema 8 name no author: nobody recorded who wrote them.
      if ((want.replies ?? []).length && Number(version.slice(1)) < 8) expect(db.prepare('SELECT DISTINCT journalist_id FROM replies').all()).toEqual([{ journalist_id: null }]);
    } finally {
      db.close();
    }
  });
});

test('a migration that fails part-way leaves the database byte for byte as it was, and the old schema opens again', async () => {
  const dir = await copyOf('v3');
  const file = path.join(dir, 'sealdrop.sqlite');
  const before = await sha256(file);
  // Migration 4 would succeed; the one after it fails: neither may be kept.
  const failing = [...MIGRATIONS.slice(0, 4), 'ALTER TABLE submissions ADD COLUMN doomed INTEGER; SELECT * FROM no_such_table;'];
  expect(() => openDb(file, failing)).toThrow(MigrationError);
  expect(() => openDb(file, failing)).toThrow(/from schema 3 to 5 failed, and it was left as it was/);
  expect(await sha256(file)).toBe(before);
  const db = openDb(file, MIGRATIONS.slice(0, 3)); // the old version still opens it, nothing to do
  try {
    expect(db.pragma('user_version', { simple: true })).toBe(3);
    const columns = (db.prepare('PRAGMA table_info(journalists)').all() as { name: string }[]).map((c) => c.name);
    expect(columns).not.toContain('onion_auth');
  } finally {
    db.close();
  }
});

test('a database from a newer Sealdrop is refused, unchanged', async () => {
  const dir = await copyOf('v4');
  const file = path.join(dir, 'sealdrop.sqlite');
  const before = await sha256(file);
  expect(() => openDb(file, MIGRATIONS.slice(0, 2))).toThrow(/newer Sealdrop \(schema 4\)/);
  expect(await sha256(file)).toBe(before);
});

describe('schema 8 -> 9 (desks, retired keys, changes, the audit log)', () => {
  type Rows = Record<string, unknown[]>;
  /** Every row of every table, in rowid order, as the given columns of each table. */
  function rowsOf(db: Database.Database, columns: Record<string, string[]>): Rows {
    const out: Rows = {};
    for (const [table, cols] of Object.entries(columns)) out[table] = db.prepare(`SELECT ${cols.map((c) => `"${c}"`).join(', ')} FROM "${table}" ORDER BY rowid`).all();
    return out;
  }
  const schemaOf = (db: Database.Database) => db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();

  test('keeps every row as it was, puts every conversation in no desk (visible to all), invents no audit entry, and ends with a fresh schema', async () => {
    const want = expected.v8!;
    const dir = await copyOf('v8');
    const file = path.join(dir, 'sealdrop.sqlite');
    const old = new Database(file, { readonly: true });
    const tables = (old.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as { name: string }[]).map((t) => t.name);
    const columns = Object.fromEntries(tables.map((t) => [t, (old.prepare(`PRAGMA table_info("${t}")`).all() as { name: string }[]).map((c) => c.name)]));
    const before = rowsOf(old, columns);
    old.close();
    expect(before.sources).toHaveLength(2);
    expect(before.replies).toHaveLength(2);

    const store = openStore(dir);
    try {
      // Every journalist still sees both conversations and their item (no desk: the whole newsroom).
      for (const j of store.journalists.list()) {
        const listed = store.inbox.page(j.id, 'all', 1);
        expect(listed.lines.map((l) => l.id).sort(), j.username).toEqual(want.sources.map((x) => x.id).sort());
        expect(listed.lines.map((l) => l.items), j.username).toEqual([1, 1]);
      }
      expect(store.audit.head().seq).toBe(0);
      expect(store.audit.verify()).toBeNull();
    } finally {
      store.close();
    }

    const db = new Database(file, { readonly: true });
    const fresh = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-fresh-'));
    dirs.push(fresh);
    openStore(fresh).close();
    const made = new Database(path.join(fresh, 'sealdrop.sqlite'), { readonly: true });
    try {
      expect(rowsOf(db, columns)).toEqual(before); // every old column of every old row, unchanged
      expect(db.prepare('SELECT DISTINCT desk_id FROM sources').all()).toEqual([{ desk_id: null }]);
      for (const table of ['desks', 'desk_members', 'retired_keys', 'pending_changes', 'audit_log']) {
        expect(db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
      }
      expect(db.prepare('SELECT DISTINCT access_seen FROM journalists').all()).toEqual([{ access_seen: 0 }]);
      // Nobody is recorded as having been shown an existing journalist's link (the two-person rule's link holder).
      expect(db.prepare('SELECT DISTINCT login_issued_by FROM journalists').all()).toEqual([{ login_issued_by: null }]);
      expect(db.prepare("SELECT sql FROM sqlite_master WHERE name = 'pending_changes'").get()).toMatchObject({ sql: expect.stringContaining('AUTOINCREMENT') });
      // ana's reply keeps its author (schema 8 recorded it); the other names nobody.
      const authors = Object.fromEntries((db.prepare('SELECT id, journalist_id FROM replies').all() as { id: string; journalist_id: number | null }[]).map((r) => [r.id, r.journalist_id]));
      expect(authors).toEqual({ [want.replies![0]!.id]: 1, [want.replies![1]!.id]: null });
      expect(schemaOf(db)).toEqual(schemaOf(made));
      expect(db.pragma('user_version', { simple: true })).toBe(made.pragma('user_version', { simple: true }));
    } finally {
      db.close();
      made.close();
    }
  });
});
