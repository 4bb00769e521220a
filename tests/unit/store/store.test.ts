import { mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { daysBefore, today } from '../../../server/store/day.ts';
import { ConflictError, IncompleteError, NotFoundError, openStore, type Store } from '../../../server/store/index.ts';
import { newSource } from '../../helpers/sources.ts';
import { generateKeyPair, readJournalistKey } from '../../../common/envelope/index.ts';

let dir: string;
let store: Store;
const objects = async () => (await readdir(path.join(dir, 'objects')).catch(() => [])).filter((n) => !n.startsWith('.'));
const bytes = (s: string) => new TextEncoder().encode(s);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-store-'));
  store = openStore(dir);
});
afterEach(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

async function completeSubmission(parts = 2): Promise<string> {
  const source = newSource(store);
  const id = store.submissions.create(source.id, parts);
  for (let n = 1; n <= parts; n++) await store.submissions.putPart(id, n, bytes(`part ${n}`));
  await store.submissions.putManifest(id, bytes('manifest'));
  store.submissions.complete(id);
  return id;
}

describe('submissions', () => {
  test('become visible only when complete; objects are random names, written at midnight UTC', async () => {
    const source = newSource(store);
    expect(source.designation).toMatch(/^[a-z]+-[a-z]+(-\d+)?$/);
    const id = store.submissions.create(source.id, 1);
    await store.submissions.putPart(id, 1, bytes('x'));
    expect(() => store.submissions.complete(id)).toThrow(IncompleteError);
    await store.submissions.putManifest(id, bytes('m'));
    expect(store.submissions.listComplete()).toEqual([]);
    store.submissions.complete(id);
    expect(store.submissions.listComplete()).toMatchObject([{ id, designation: source.designation, partCount: 1, createdDay: today() }]);
    const names = await objects();
    expect(names).toHaveLength(2);
    for (const name of names) {
      expect(name).toMatch(/^[0-9a-f]{32}$/);
      const { mtime } = await stat(path.join(dir, 'objects', name));
      expect(mtime.toISOString()).toBe(`${today()}T00:00:00.000Z`);
    }
  });

  test('out-of-range parts and changes after completion are conflicts; unknown ids are not found', async () => {
    const id = await completeSubmission(1);
    await expect(store.submissions.putPart(id, 1, bytes('late'))).rejects.toBeInstanceOf(ConflictError);
    const pending = store.submissions.create(newSource(store).id, 2);
    await expect(store.submissions.putPart(pending, 3, bytes('extra'))).rejects.toThrow(/declared 2/);
    await expect(store.submissions.putPart('f'.repeat(32), 1, bytes('x'))).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a login secret finds its source; the database holds only its hash', async () => {
    const source = newSource(store);
    expect(store.sources.byLogin(source.loginSecret).id).toBe(source.id);
    expect(() => store.sources.byLogin('f'.repeat(64))).toThrow(NotFoundError);
    store.close();
    const raw = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
    const row = raw.prepare('SELECT login_hash FROM sources').get() as { login_hash: string };
    raw.close();
    expect(row.login_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(row.login_hash).not.toContain(source.loginSecret);
    store = openStore(dir);
  });
});

describe('purge and recovery', () => {
  test('abandoned uploads are removed after a day, complete ones kept without a retention period', async () => {
    const kept = await completeSubmission();
    const abandoned = store.submissions.create(newSource(store).id, 3);
    await store.submissions.putPart(abandoned, 1, bytes('half'));
    expect(await store.submissions.purge(null, today())).toBe(0); // still today: the source may be uploading
    const removed = await store.submissions.purge(null, daysBefore(today(), -2));
    expect(removed).toBe(1);
    expect(store.submissions.listComplete().map((s) => s.id)).toEqual([kept]);
    expect(await objects()).toHaveLength(3); // 2 parts + manifest of the kept one
  });

  test('retention removes complete submissions and their objects', async () => {
    await completeSubmission();
    await store.submissions.purge(30, daysBefore(today(), -31));
    expect(store.submissions.listComplete()).toEqual([]);
    expect(await objects()).toEqual([]);
  });

  test('retention removes replies too; a source with only replies still shows in the inbox', async () => {
    const source = newSource(store);
    await store.replies.add(source.id, bytes('reply'));
    expect(store.inbox.page(1, 'all', 1).lines.map((s) => s.id)).toEqual([source.id]);
    await store.submissions.purge(30, daysBefore(today(), -31));
    expect(store.replies.list(source.id)).toEqual([]);
    expect(await objects()).toEqual([]);
    expect(store.inbox.page(1, 'all', 1).lines).toEqual([]);
  });

  test('orphaned objects and temp files from a crash are swept; recorded ones are not', async () => {
    await completeSubmission(1);
    await writeFile(path.join(dir, 'objects', '0'.repeat(32)), 'orphan');
    await writeFile(path.join(dir, 'objects', `.tmp-${'1'.repeat(32)}`), 'half-written');
    await store.submissions.sweepOrphans();
    const left = await readdir(path.join(dir, 'objects'));
    expect(left).toHaveLength(2);
    expect(left).not.toContain('0'.repeat(32));
  });
});

describe('journalists', () => {
  test('add, list, refuse duplicates, remove', async () => {
    const key = await readJournalistKey((await generateKeyPair({ name: 'Jo' })).publicKey);
    const j = { username: 'jo', fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored };
    store.journalists.add(j);
    expect(store.journalists.get('jo').fingerprint).toBe(key.fingerprint);
    expect(store.journalists.active().map((x) => x.username)).toEqual(['jo']);
    expect(() => store.journalists.add({ ...j, username: 'other' })).toThrow(ConflictError);
    store.journalists.remove('jo');
    expect(store.journalists.list()).toEqual([]);
    expect(() => store.journalists.remove('jo')).toThrow(NotFoundError);
  });
});

test('the schema keeps days, never times', () => {
  store.close();
  const raw = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
  const columns = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).flatMap(
    (t) => (raw.prepare(`PRAGMA table_info(${t.name})`).all() as { name: string }[]).map((c) => c.name),
  );
  raw.close();
  expect(columns.filter((c) => /time|_at$|date|^ip|_ip$|agent|addr|file_?name/i.test(c))).toEqual([]);
  expect(columns).toContain('created_day');
  store = openStore(dir);
});
