import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeEach, expect, test } from 'vitest';
import { decryptObject, partCountFor, readJournalistKey, readPrivateKey, SubmissionSealer, sealFile, unwrapSessionKey, wrapSessionKey, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { setLogSink } from '../../server/log/index.ts';
import { takeSnapshot } from '../../server/store/backup.ts';
import type { Db } from '../../server/store/db.ts';
import { ConflictError, openStore, type Journalist, type Store } from '../../server/store/index.ts';
import type { Plan } from '../../server/store/rewrap.ts';
import { keyFields } from '../helpers/journalists.ts';
import { storeItem } from '../helpers/rewrap.ts';
import { keyWithSubkeyOf } from '../helpers/subkey-claim.ts';
import { newSource, SOURCE_KEY } from '../helpers/sources.ts';

// Regression tests for the independent review of re-wrapping (issue 23, findings 2, 3, 4, 6 and the
// lesser ones): each was seen failing on a copy of the code without its fix.

let dir: string;
let store: Store;
const rows = () => new Database(path.join(dir, 'sealdrop.sqlite'));
beforeEach(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'rewrap-review-'));
  store = openStore(dir);
});
afterAll(() => store?.close());

type Key = { journalist: Journalist; public: { key: PublicKey; fingerprint: string; recipientKeyId: string; armored: string }; private: PrivateKey };

/** A journalist whose key has a signing, an encryption and another signing (authentication-like) subkey, in that order: a smartcard layout. */
async function smartcardJournalist(username: string): Promise<Key> {
  const gen = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: username }], subkeys: [{ sign: true }, {}, { sign: true }], format: 'armored', config: { v6Keys: false, aeadProtect: false } });
  const pub = await readJournalistKey(gen.publicKey);
  const journalist = store.journalists.add({ username, fingerprint: pub.fingerprint, recipientKeyId: pub.recipientKeyId, publicKey: pub.armored, isAdmin: false });
  return { journalist, public: pub, private: await readPrivateKey(gen.privateKey) };
}

async function plainJournalist(username: string): Promise<Key> {
  const k = await keyFields(username);
  const journalist = store.journalists.add({ username, fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.publicKey, isAdmin: false });
  return { journalist, public: await readJournalistKey(k.publicKey), private: await readPrivateKey(k.privateKey) };
}

async function rotate(j: Key): Promise<Key> {
  const k = await keyFields(`${j.journalist.username}-new`);
  store.journalists.rotateKey(j.journalist.id, { fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.publicKey });
  return { journalist: store.journalists.byId(j.journalist.id), public: await readJournalistKey(k.publicKey), private: await readPrivateKey(k.privateKey) };
}

const sealLabel = async (keys: PublicKey[]) =>
  Buffer.from((await openpgp.encrypt({ message: await openpgp.createMessage({ text: 'Ledger leak' }), encryptionKeys: keys, format: 'binary', config: { aeadProtect: false } })) as Uint8Array).toString('base64');

/** The page's half: each object's session key unwrapped with `keys`, wrapped for the added keys. */
async function wrap(plan: Plan, keys: PrivateKey[]) {
  const out = [];
  for (const o of plan.objects) {
    const add = o.add.length ? await wrapSessionKey(await unwrapSessionKey(o.header, keys), o.add.map((id) => plan.keys.get(id)!)) : new Uint8Array(0);
    out.push({ ref: o.ref, add: Buffer.from(add).toString('base64') });
  }
  return out;
}

const sealedTo = (item: string) => rows().prepare('SELECT fingerprint FROM submission_keys WHERE submission_id = ? ORDER BY fingerprint').pluck().all(item) as string[];

/** A pending item of `sourceId` whose manifest and parts have all arrived, sealed to `keys` (the manifest also to `manifestAlso`). */
async function arrivedItem(sourceId: string, keys: PublicKey[], manifestAlso: PublicKey[] = []): Promise<string> {
  const data = randomBytes(20_000);
  const id = store.submissions.create(sourceId, partCountFor(data.length, 16_384));
  const sealer = new SubmissionSealer({ submission: id, name: 'a.pdf', type: 'application/pdf', recipients: keys, partSize: 16_384 });
  let n = 0;
  for await (const part of sealFile(sealer, data.length, async (s, e) => data.subarray(s, e))) await store.submissions.putPart(id, ++n, part);
  await store.submissions.putManifest(id, await sealer.sealManifest(manifestAlso));
  return id;
}

test('finding 2: a retired smartcard key is recorded by its encryption subkey; rotation re-wraps items and labels sealed to it', async () => {
  const jo = await smartcardJournalist('jo');
  const src = newSource(store).id;
  const item = await storeItem(store, src, randomBytes(20_000), [jo.public]);
  store.sources.setLabel(src, await sealLabel([jo.public.key]));
  const joNew = await rotate(jo);
  expect(rows().prepare('SELECT recipient_key_id FROM retired_keys WHERE journalist_id = ?').pluck().get(jo.journalist.id)).toBe(jo.public.recipientKeyId);
  const plan = await store.rewrap.planRotate(jo.journalist.id);
  expect(plan.objects.map((o) => o.ref).sort()).toEqual([`l:${src}`, `m:${item}`, `p:${item}:1`, `p:${item}:2`].sort());
  for (const o of plan.objects) expect([[...o.keep], o.add]).toEqual([[], [joNew.public.recipientKeyId]]);
  await store.rewrap.apply(plan, await wrap(plan, [jo.private]), () => undefined);
  expect(sealedTo(item)).toEqual([joNew.journalist.fingerprint]);
  const label = rows().prepare('SELECT label FROM sources WHERE id = ?').pluck().get(src) as string;
  await decryptObject({ data: new Uint8Array(Buffer.from(label, 'base64')), keys: [joNew.private] });
});

test('finding 2: a retired key row naming another of its subkeys (written by the earlier code) still matches on all its key IDs', async () => {
  const jo = await smartcardJournalist('jo');
  const bo = await plainJournalist('bo');
  const src = newSource(store).id;
  const item = await storeItem(store, src, randomBytes(20_000), [jo.public, bo.public]);
  store.sources.setLabel(src, await sealLabel([jo.public.key]));
  const joNew = await rotate(jo);
  const lastSubkey = jo.public.key.getSubkeys().at(-1)!.getKeyID().toHex();
  rows().prepare('UPDATE retired_keys SET recipient_key_id = ? WHERE journalist_id = ?').run(lastSubkey, jo.journalist.id);
  const plan = await store.rewrap.planRotate(jo.journalist.id);
  expect(plan.objects.map((o) => o.ref)).toContain(`l:${src}`);
  for (const o of plan.objects) expect(o.keep.has(jo.public.recipientKeyId)).toBe(false);
  await store.rewrap.apply(plan, await wrap(plan, [jo.private]), () => undefined);
  expect(sealedTo(item)).toEqual([bo.journalist.fingerprint, joNew.journalist.fingerprint].sort());
});

test('finding 6: after a share, an item whose manifest is also sealed to the source names only journalist keys', async () => {
  const ann = await plainJournalist('ann');
  const bo = await plainJournalist('bo');
  const src = newSource(store).id;
  const sourceKey = (await openpgp.readKey({ armoredKey: SOURCE_KEY.publicKey })) as unknown as PublicKey;
  const item = await arrivedItem(src, [ann.public.key], [sourceKey]);
  store.submissions.complete(item, [ann.journalist.fingerprint]);
  const plan = await store.rewrap.planShare(src, ann.journalist.id, [item], [bo.journalist.id]);
  await store.rewrap.apply(plan, await wrap(plan, [ann.private]), () => undefined);
  expect(sealedTo(item)).toEqual([ann.journalist.fingerprint, bo.journalist.fingerprint].sort());
});

test('finding 6: a key ID two journalists\' keys claim is nobody\'s: not recorded as theirs, and their rotation never drops the other\'s PKESK', async () => {
  const lines: string[] = [];
  const previous = setLogSink((line) => lines.push(line));
  try {
    const [x, y, z] = [await plainJournalist('x'), await plainJournalist('y'), await plainJournalist('z')];
    const desk = store.desks.create('investig', {}, 'cli');
    store.desks.addMember(desk.id, x.journalist.id);
    store.desks.addMember(desk.id, y.journalist.id);
    const src = newSource(store).id;
    store.desks.setDesk(src, desk.id);
    const item = await storeItem(store, src, randomBytes(20_000), [x.public, y.public]);
    store.sources.setLabel(src, await sealLabel([x.public.key, y.public.key]));
    // Stored as a forged or restored database could hold it (the store's own checks may refuse to add it).
    const j = await keyWithSubkeyOf(x.public.armored);
    rows().prepare("INSERT INTO journalists (username, fingerprint, recipient_key_id, public_key, active, created_day) VALUES ('j', ?, ?, ?, 1, '2026-01-01')").run(j.fingerprint, j.recipientKeyId, j.armored);
    const jId = store.journalists.get('j').id;
    const share = await store.rewrap.planShare(src, y.journalist.id, [item], [z.journalist.id]);
    await store.rewrap.apply(share, await wrap(share, [y.private]), () => undefined);
    expect(sealedTo(item)).not.toContain(j.fingerprint);
    expect(sealedTo(item)).toContain(`unknown:${x.public.recipientKeyId}`);
    expect(lines.some((l) => JSON.parse(l).event === 'key_id_ambiguous')).toBe(true);
    expect(store.access.canSee(jId, src)).toBe(false);
    const jNew = await keyFields('j-new');
    store.journalists.rotateKey(jId, { fingerprint: jNew.fingerprint, recipientKeyId: jNew.recipientKeyId, publicKey: jNew.publicKey });
    await expect(store.rewrap.planRotate(jId)).rejects.toThrow(ConflictError);
  } finally {
    setLogSink(previous);
  }
});

test('lesser: a rotation re-wraps only the labels of conversations the journalist can see', async () => {
  const jo = await plainJournalist('jo');
  const [deskA, deskB] = [store.desks.create('a', {}, 'cli'), store.desks.create('b', {}, 'cli')];
  store.desks.addMember(deskA.id, jo.journalist.id);
  const [mine, other] = [newSource(store).id, newSource(store).id];
  store.desks.setDesk(mine, deskA.id);
  store.desks.setDesk(other, deskB.id);
  store.sources.setLabel(mine, await sealLabel([jo.public.key]));
  store.sources.setLabel(other, await sealLabel([jo.public.key])); // from when jo was in desk B
  await rotate(jo);
  expect((await store.rewrap.planRotate(jo.journalist.id)).objects.map((o) => o.ref)).toEqual([`l:${mine}`]);
});

/** Desks A (ann) and B (ben), a desk-A conversation with one item, and a move of it to B planned and wrapped by ann. */
async function plannedMove() {
  const [ann, ben] = [await plainJournalist('ann'), await plainJournalist('ben')];
  const [deskA, deskB] = [store.desks.create('a', {}, 'cli').id, store.desks.create('b', {}, 'cli').id];
  store.desks.addMember(deskA, ann.journalist.id);
  store.desks.addMember(deskB, ben.journalist.id);
  const src = newSource(store).id;
  store.desks.setDesk(src, deskA);
  await storeItem(store, src, randomBytes(20_000), [ann.public]);
  const plan = await store.rewrap.planMove(src, deskB, ann.journalist.id);
  return { ann, src, deskA, deskB, objects: await wrap(plan, [ann.private]) };
}

/** Runs `during` once, while the re-wrap writes its first new file (after its plan, before its transaction). */
function whileWriting(during: () => Promise<unknown> | unknown): void {
  const put = store.blobs.put.bind(store.blobs);
  let done = false;
  store.blobs.put = async (bytes: Uint8Array) => {
    if (!done) {
      done = true;
      await during();
    }
    return put(bytes);
  };
}

test('finding 3: an item completing while a move is applied: the move is refused, the conversation stays in its desk', async () => {
  const { ann, src, deskA, deskB, objects } = await plannedMove();
  const late = await arrivedItem(src, [ann.public.key]);
  whileWriting(() => store.submissions.complete(late, [ann.journalist.fingerprint], deskA));
  await expect(store.rewrap.move({ sourceId: src, toDeskId: deskB, objects }, () => store.desks.setDesk(src, deskB))).rejects.toThrow(ConflictError);
  expect(store.desks.deskOf(src)).toBe(deskA);
});

test('finding 3: a reply posted while a move is applied: the move is refused', async () => {
  const { ann, src, deskA, deskB, objects } = await plannedMove();
  const reply = Buffer.from(await sealLabel([ann.public.key]), 'base64');
  whileWriting(() => store.replies.add(src, reply, ann.journalist.id, [ann.journalist.fingerprint]));
  await expect(store.rewrap.move({ sourceId: src, toDeskId: deskB, objects }, () => store.desks.setDesk(src, deskB))).rejects.toThrow(ConflictError);
  expect(store.desks.deskOf(src)).toBe(deskA);
});

test('finding 3: completing an item checked against desk A is refused once its conversation is in desk B', async () => {
  const { ann, src, deskA, deskB } = await plannedMove();
  const late = await arrivedItem(src, [ann.public.key]);
  store.desks.setDesk(src, deskB);
  expect(() => store.submissions.complete(late, [ann.journalist.fingerprint], deskA)).toThrow(ConflictError);
  expect(rows().prepare('SELECT state FROM submissions WHERE id = ?').pluck().get(late)).toBe('pending');
});

test('finding 3: a reply checked against desk A is refused once its conversation is in desk B (a move committed while it was stored)', async () => {
  const { ann, src, deskA, deskB } = await plannedMove();
  const reply = Buffer.from(await sealLabel([ann.public.key]), 'base64');
  store.desks.setDesk(src, deskB);
  await expect(store.replies.add(src, reply, ann.journalist.id, [ann.journalist.fingerprint], deskA)).rejects.toThrow(ConflictError);
  expect(rows().prepare('SELECT COUNT(*) FROM replies WHERE source_id = ?').pluck().get(src)).toBe(0);
});

test('final review 5: a label checked against desk A is refused once its conversation is in desk B (a move committed meanwhile); the label stays', async () => {
  const { ann, src, deskA, deskB } = await plannedMove();
  const before = rows().prepare('SELECT label FROM sources WHERE id = ?').pluck().get(src);
  const label = await sealLabel([ann.public.key]);
  store.desks.setDesk(src, deskB);
  expect(() => store.sources.setLabel(src, label, deskA)).toThrow(ConflictError);
  expect(rows().prepare('SELECT label FROM sources WHERE id = ?').pluck().get(src)).toBe(before);
  store.sources.setLabel(src, label, deskB);
  expect(rows().prepare('SELECT label FROM sources WHERE id = ?').pluck().get(src)).toBe(label);
});

test('finding 4: a backup copy taken before a re-wrap whose old files are unlinked keeps the items (taken again); a deleted item is still left out', async () => {
  const ann = await plainJournalist('ann');
  const bo = await plainJournalist('bo');
  const src = newSource(store).id;
  const [kept, deleted] = [await storeItem(store, src, randomBytes(20_000), [ann.public]), await storeItem(store, src, randomBytes(20_000), [ann.public])];
  const live = rows();
  const stale = live.serialize(); // the copy as the database was when the backup began
  const plan = await store.rewrap.planShare(src, ann.journalist.id, [kept], [bo.journalist.id]);
  await store.rewrap.apply(plan, await wrap(plan, [ann.private]), () => undefined);
  await store.inbox.deleteSubmission(deleted);
  let first = true;
  const db = { serialize: () => (first ? ((first = false), stale) : live.serialize()), prepare: (sql: string) => live.prepare(sql) } as unknown as Db;
  const snapshot = await takeSnapshot(db, dir);
  const copy = new Database(snapshot.database);
  expect(copy.prepare('SELECT id FROM submissions').pluck().all()).toEqual([kept]);
  const manifest = copy.prepare('SELECT manifest_blob FROM submissions WHERE id = ?').pluck().get(kept) as string;
  expect(snapshot.objects).toContain(manifest);
  expect(snapshot.objects.every((name) => existsSync(path.join(dir, 'objects', name)))).toBe(true);
});
