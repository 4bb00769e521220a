import Database from 'better-sqlite3';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { openStore } from '../../server/store/index.ts';
import { addJournalist, keyFields } from '../helpers/journalists.ts';

// Final review of issue 23: removing a journalist whose new key waits for a second administrator
// left the pending row, and the next open refused the database as forged: the drop did not start.
test('removing a journalist drops the changes naming them (audited, by the system) and the store opens again', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-remove-pending-'));
  try {
    let store = openStore(dir);
    const ada = await addJournalist(store, 'ada', true);
    await addJournalist(store, 'bo', true);
    const jo = await addJournalist(store, 'jo');
    const { privateKey: _, ...next } = await keyFields('jo 2');
    const key = (await store.changes.request('key', { journalistId: jo.id, publicKey: next.publicKey }, ada.id)) as { id: number };
    expect(store.changes.pending().map((c) => c.id)).toEqual([key.id]);
    await store.changes.request('admin', { journalistId: jo.id, action: 'remove' }, ada.id); // a non-admin: applied at once
    expect(store.journalists.find(jo.id)).toBeUndefined();
    expect(store.changes.pending()).toEqual([]);
    expect(store.audit.withPrefix('change.').at(-1)).toMatchObject({ actor: 'system', action: 'change.reject', detail: { change: key.id, kind: 'key', reason: 'removed' } });
    store.close();
    store = openStore(dir);
    expect(store.journalists.get('ada').id).toBe(ada.id);
    store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a pending key change left by an older version for a journalist since removed does not stop the store opening; the list drops it', async () => {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-remove-pending-'));
  try {
    let store = openStore(dir);
    const ada = await addJournalist(store, 'ada', true);
    store.close();
    const { privateKey: _, ...next } = await keyFields('gone');
    const db = new Database(path.join(dir, 'sealdrop.sqlite'));
    db.prepare("INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES ('key', ?, ?, '2026-01-01')").run(JSON.stringify({ journalistId: 999, publicKey: next.publicKey }), ada.id);
    db.close();
    store = openStore(dir);
    expect(store.changes.pending()).toEqual([]);
    store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
