import Database from 'better-sqlite3';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { openStore, type Journalist, type Store } from '../../../server/store/index.ts';
import { addJournalist, keyFields } from '../../helpers/journalists.ts';
import { newSource } from '../../helpers/sources.ts';

// changes.pending() is a read: a change naming what no longer exists is left out of it, not deleted
// there. dropStale() deletes such changes, with one audit entry by the system that counts them
// (start-up and the Changes page call it). Removing a desk drops the changes naming it and counts
// them the same way, in its own transaction. pendingOf(kind) reads one kind only.

let dir: string;
let store: Store;
let ada: Journalist;
let bo: Journalist;
beforeEach(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'changes-cleanup-'));
  store = openStore(dir);
  ada = await addJournalist(store, 'ada', true);
  bo = await addJournalist(store, 'bo', true);
});
afterEach(() => store.close());

const rowCount = () => {
  const db = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM pending_changes').get() as { n: number }).n;
  } finally {
    db.close();
  }
};
/** A desk member change for a desk that is gone (as one left by a conversation or desk removed meanwhile). */
const staleMember = (journalistId: number) => {
  const db = new Database(path.join(dir, 'sealdrop.sqlite'));
  db.prepare("INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES ('member', ?, ?, '2026-12-06')").run(JSON.stringify({ deskId: 999, journalistId }), ada.id);
  db.close();
};
const cleanups = () => store.audit.withPrefix('change.cleanup');

test('pending() leaves out a change naming what is gone without deleting it or writing to the audit log', async () => {
  const desk = store.desks.create('news', {}, 'cli');
  const live = (await store.changes.request('member', { deskId: desk.id, journalistId: bo.id }, ada.id)) as { id: number };
  staleMember(bo.id);
  const auditBefore = store.audit.latest(1)[0]!.seq;
  expect(store.changes.pending().map((c) => c.id)).toEqual([live.id]);
  expect(store.changes.pendingOf('member').map((c) => c.id)).toEqual([live.id]);
  expect(rowCount()).toBe(2);
  expect(store.audit.latest(1)[0]!.seq).toBe(auditBefore);
});

test('dropStale() deletes only the changes naming what is gone, with one system entry that counts them', async () => {
  const desk = store.desks.create('news', {}, 'cli');
  const live = (await store.changes.request('member', { deskId: desk.id, journalistId: bo.id }, ada.id)) as { id: number };
  staleMember(bo.id);
  staleMember(ada.id);
  expect(store.changes.dropStale()).toBe(2);
  expect(rowCount()).toBe(1);
  expect(store.changes.pending().map((c) => c.id)).toEqual([live.id]);
  expect(cleanups()).toEqual([expect.objectContaining({ actor: 'system', action: 'change.cleanup', detail: { changes: 2 } })]);
  expect(store.changes.dropStale()).toBe(0);
  expect(cleanups()).toHaveLength(1); // nothing dropped, nothing recorded
});

test('pendingOf(kind) gives the changes of that kind only, payloads typed by kind', async () => {
  const desk = store.desks.create('news', {}, 'cli');
  const jo = await addJournalist(store, 'jo');
  const { privateKey: _, ...next } = await keyFields('jo 2');
  const member = (await store.changes.request('member', { deskId: desk.id, journalistId: jo.id }, ada.id)) as { id: number };
  const key = (await store.changes.request('key', { journalistId: jo.id, publicKey: next.publicKey }, jo.id)) as { id: number };
  expect(store.changes.pendingOf('member').map((c) => [c.id, c.payload.deskId])).toEqual([[member.id, desk.id]]);
  expect(store.changes.pendingOf('key').map((c) => [c.id, c.payload.journalistId, c.added])).toEqual([[key.id, jo.id, [next.fingerprint]]]);
  expect(store.changes.pendingOf('move')).toEqual([]);
});

test('removing a desk drops the pending changes naming it, counted in one change.cleanup entry of its own transaction', async () => {
  const [news, other, spare] = ['news', 'other', 'spare'].map((name) => store.desks.create(name, {}, 'cli'));
  const jo = await addJournalist(store, 'jo');
  await store.changes.request('member', { deskId: news!.id, journalistId: jo.id }, ada.id);
  await store.changes.request('move', { sourceId: newSource(store).id, toDeskId: news!.id, objects: [] }, ada.id);
  const kept = (await store.changes.request('member', { deskId: other!.id, journalistId: jo.id }, ada.id)) as { id: number };
  store.desks.remove(news!.id, { username: 'ada' });
  expect(rowCount()).toBe(1); // deleted, not only left out of pending()
  expect(store.changes.pending().map((c) => c.id)).toEqual([kept.id]);
  expect(store.audit.latest(2).reverse()).toMatchObject([
    { actor: 'journalist:ada', action: 'desk.remove', detail: { desk: 'news' } },
    { actor: 'system', action: 'change.cleanup', detail: { changes: 2 } },
  ]);
  store.desks.remove(spare!.id, 'cli'); // nothing pending named it: nothing counted
  expect(cleanups()).toHaveLength(1);
  // The entry cannot be lost alone: refused by the database, it takes the desk's removal with it.
  const db = new Database(path.join(dir, 'sealdrop.sqlite'));
  db.exec("CREATE TRIGGER refuse_cleanup BEFORE INSERT ON audit_log WHEN NEW.action = 'change.cleanup' BEGIN SELECT RAISE(ABORT, 'refused'); END");
  db.close();
  expect(() => store.desks.remove(other!.id, 'cli')).toThrow(/refused/);
  expect(store.desks.get('other').id).toBe(other!.id);
  expect(store.changes.pending().map((c) => c.id)).toEqual([kept.id]);
  expect(store.audit.latest(1)[0]).toMatchObject({ action: 'desk.remove', detail: { desk: 'spare' } });
});
