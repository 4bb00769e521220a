import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { readJournalistKey } from '../../../common/envelope/index.ts';
import { exportSubmissions } from '../../../server/cli/export.ts';
import { setLogSink } from '../../../server/log/index.ts';
import { openStore, type Journalist, type Store } from '../../../server/store/index.ts';
import { keyFields } from '../../helpers/journalists.ts';
import { storeItem } from '../../helpers/rewrap.ts';
import { newSource } from '../../helpers/sources.ts';
import { keyWithSubkeyOf } from '../../helpers/subkey-claim.ts';

// journalists.keyOwner follows keyIdOwners' rule (sealed-to.ts): a key ID two journalist keys claim
// is nobody's. Before they were merged, keyOwner answered with the first journalist by username
// whose key held it, so a forged key carrying a colleague's subkey was named as that colleague's.

let dir: string;
let store: Store;
let previousSink: ReturnType<typeof setLogSink>;
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'key-owner-'));
  store = openStore(dir);
  previousSink = setLogSink(() => undefined); // key_id_ambiguous is expected here (rewrap-review.test.ts asserts it)
});
afterEach(() => {
  setLogSink(previousSink);
  store.close();
});

async function journalist(username: string): Promise<Journalist & { recipientKeyId: string }> {
  const k = await keyFields(username);
  return { ...store.journalists.add({ username, fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.publicKey }), recipientKeyId: k.recipientKeyId };
}

/** "j" (sorted before "x"), holding a key that carries x's encryption subkey, written as a forged database could hold it. */
async function forgedColleague(x: Journalist): Promise<{ fingerprint: string; recipientKeyId: string }> {
  const j = await keyWithSubkeyOf(x.publicKey);
  const db = new Database(path.join(dir, 'sealdrop.sqlite'));
  db.prepare("INSERT INTO journalists (username, fingerprint, recipient_key_id, public_key, active, created_day) VALUES ('j', ?, ?, ?, 1, '2026-01-01')").run(j.fingerprint, j.recipientKeyId, j.armored);
  db.close();
  return j;
}

test('a key ID two keys claim is nobody\'s; each key\'s own fingerprint and unshared key IDs stay its owner\'s', async () => {
  const x = await journalist('x');
  const j = await forgedColleague(x);
  const owner = store.journalists.keyOwners();
  expect(owner(x.recipientKeyId)).toBeNull();
  expect(owner(x.recipientKeyId.toUpperCase())).toBeNull();
  expect(owner(x.fingerprint)).toMatchObject({ username: 'x', fingerprint: x.fingerprint, retired: false });
  expect(owner(j.fingerprint.toLowerCase())).toMatchObject({ username: 'j', fingerprint: j.fingerprint });
  expect(owner(j.fingerprint.slice(-16))).toMatchObject({ username: 'j' });
  // A fingerprint is its primary key's: one merely ending in a subkey's ID is nobody's.
  const y = await journalist('y');
  expect(store.journalists.keyOwner(y.recipientKeyId)).toMatchObject({ username: 'y' });
  expect(store.journalists.keyOwner('0'.repeat(24) + y.recipientKeyId)).toBeNull();
  expect(store.journalists.keyOwner('not hex')).toBeNull();
});

test('a retired key is still its owner\'s, marked retired', async () => {
  const x = await journalist('x');
  const next = await keyFields('x new');
  store.journalists.rotateKey(x.id, { fingerprint: next.fingerprint, recipientKeyId: next.recipientKeyId, publicKey: next.publicKey });
  expect(store.journalists.keyOwner(x.recipientKeyId)).toEqual({ journalistId: x.id, username: 'x', fingerprint: x.fingerprint, retired: true });
  expect(store.journalists.keyOwner(next.fingerprint)).toEqual({ journalistId: x.id, username: 'x', fingerprint: next.fingerprint, retired: false });
});

test('an export names a key ID two keys claim as unknown in sealed-to.txt, not as either journalist\'s', async () => {
  const x = await journalist('x');
  const y = await journalist('y');
  const src = newSource(store).id;
  const keys = await Promise.all([x, y].map(async (k) => ({ key: (await readJournalistKey(k.publicKey)).key, fingerprint: k.fingerprint })));
  const item = await storeItem(store, src, randomBytes(2_000), keys);
  await forgedColleague(x);
  const out = mkdtempSync(path.join(os.tmpdir(), 'key-owner-export-'));
  expect(await exportSubmissions(store, out)).toBe(1);
  const [designation] = readdirSync(out);
  const lines = readFileSync(path.join(out, designation!, item, 'sealed-to.txt'), 'utf8').split('\n');
  expect(lines).toContain(`${x.recipientKeyId.toUpperCase()} unknown`);
  expect(lines.some((l) => l.startsWith(y.recipientKeyId.toUpperCase()) && l.endsWith(' y'))).toBe(true);
  expect(lines.some((l) => / (?:j|x)$/.test(l))).toBe(false);
});
