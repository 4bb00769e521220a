import Database from 'better-sqlite3';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { openStore, type AuditEntry } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { raw } from '../helpers/forged.ts';
import { SOURCE_KEY } from '../helpers/sources.ts';

// `sealdrop backup` and `sealdrop restore` carry schema 9's tables whole (desks, members, retired
// keys, pending changes, a conversation's desk, a reply's sealed-to list) and the audit log with its
// hash chain intact: every entry written before the backup comes back byte for byte and verifies.
let work: string;
let dir: string;
let secret: string;
const NEW_TABLES = ['desks', 'desk_members', 'retired_keys', 'pending_changes', 'submission_keys'];

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-backup-desks-'));
  dir = path.join(work, 'data');
  const pair = await generateKeyPair({ name: 'Jo' });
  secret = path.join(work, 'jo-secret.asc');
  await writeFile(secret, pair.privateKey);
  const other = async (name: string) => readJournalistKey((await generateKeyPair({ name })).publicKey);
  const [jo, old, ana] = await Promise.all([readJournalistKey(pair.publicKey), other('Jo (old)'), other('Ana')]);
  const store = openStore(dir);
  store.journalists.add({ username: 'jo', fingerprint: jo.fingerprint, recipientKeyId: jo.recipientKeyId, publicKey: jo.armored, isAdmin: true });
  store.journalists.add({ username: 'ana', fingerprint: ana.fingerprint, recipientKeyId: ana.recipientKeyId, publicKey: ana.armored, isAdmin: true });
  const source = store.sources.create({ loginSecret: 'b'.repeat(64), ...SOURCE_KEY, privateKey: 'locked' });
  await store.replies.add(source.id, new TextEncoder().encode('a reply stand-in'));
  store.audit.append({ actor: { username: 'jo' }, action: 'login.ok' });
  store.audit.append({ actor: 'cli', action: 'desk.add', detail: { desk: 'investigations' } });
  store.audit.append({ actor: { username: 'jo' }, action: 'access.member', detail: { added: [ana.fingerprint], removed: [], desk: 'investigations', requestedBy: 'cli', confirmedBy: 'jo' } });
  store.close();
  // Rows the desks code writes (desks.ts, changes.ts, journalists.rotateKey), as that code would.
  raw(dir, `INSERT INTO desks (id, name, texts, created_day) VALUES (1, 'investigations', '{"en":{"name":"Investigations","description":"Long stories"}}', '2026-12-06')`);
  raw(dir, 'INSERT INTO desk_members (desk_id, journalist_id) VALUES (1, 1), (1, 2)');
  raw(dir, 'UPDATE sources SET desk_id = 1');
  raw(dir, 'UPDATE replies SET sealed_to = ?', JSON.stringify([jo.fingerprint, ana.fingerprint, 'source']));
  raw(dir, "INSERT INTO retired_keys (fingerprint, journalist_id, recipient_key_id, public_key, retired_day) VALUES (?, 1, ?, ?, '2026-12-01')", old.fingerprint, old.recipientKeyId, old.armored);
  raw(dir, "INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES ('member', ?, 1, '2026-12-06')", JSON.stringify({ deskId: 1, journalistId: 2 }));
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

function tables(data: string): Record<string, unknown[]> {
  const db = new Database(path.join(data, 'sealdrop.sqlite'), { readonly: true });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of NEW_TABLES) out[t] = db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all();
    out.sources = db.prepare('SELECT id, desk_id FROM sources').all();
    out.replies = db.prepare('SELECT id, sealed_to FROM replies').all();
    return out;
  } finally {
    db.close();
  }
}

function auditOf(data: string): { entries: AuditEntry[]; broken: unknown } {
  const store = openStore(data);
  try {
    return { entries: store.audit.entries(), broken: store.audit.verify() };
  } finally {
    store.close();
  }
}

test('a backup restores desks, members, retired keys, pending changes and the audit log, its chain intact', async () => {
  const before = { rows: tables(dir), audit: auditOf(dir) };
  expect(before.audit.entries).toHaveLength(3);
  const out = path.join(work, 'drop.backup');
  const made = await sealdrop(['backup', '--data', dir, '--out', out]);
  expect(made.code, made.stderr).toBe(0);
  const digest = /^SHA-256: ([0-9a-f]{64})$/m.exec(made.stdout)![1]!;
  const target = path.join(work, 'restored');
  const res = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', secret, '--data', target]);
  expect(res.code, res.stderr).toBe(0);

  expect(tables(target)).toEqual(before.rows);
  expect(before.rows.desk_members).toHaveLength(2);
  const after = auditOf(target);
  expect(after.broken).toBeNull();
  // Every entry made before the backup, byte for byte (the backup and restore may append their own).
  expect(after.entries.slice(0, before.audit.entries.length)).toEqual(before.audit.entries);
  // And the chain still catches an edit in the restored copy.
  raw(target, "UPDATE audit_log SET actor = 'cli' WHERE seq = 1");
  expect(auditOf(target).broken).toMatchObject({ seq: 1 });
}, 60_000);
