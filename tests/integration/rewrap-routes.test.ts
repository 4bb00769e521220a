import Database from 'better-sqlite3';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  decryptObject, generateKeyPair, readJournalistKey, readObjectHeaders, readPrivateKey, splitHeader, wrapSessionKey, type PrivateKey,
} from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { deskConversation, postJson, rewrapThrough, storeItem, wrapPlan, type PlanAnswer } from '../helpers/rewrap.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Sharing, moving and rotating over HTTP (issue 23): the page's half done here with the real
// envelope, the server's half for real (plans, checks, the swap in one transaction, audit).
type Account = Awaited<ReturnType<typeof makeAccount>> & { private: PrivateKey; client: StaffClient };
let instance: Instance;
let alice: Account;
let bob: Account;
let carol: Account;
let sourceId: string;
let item: string;
let other: string;
const data = randomBytes(50_000);

async function account(username: string, step: number): Promise<Account> {
  const a = await makeAccount(instance, username);
  const client = new StaffClient(instance.journalistUrl);
  expect((await client.login(username, a.passphrase, a.code(step))).status).toBe(303);
  await client.get('/');
  return { ...a, private: await readPrivateKey(a.privateKey), client };
}

/** Every object of an item, read from the store as it is now. */
async function objectsOf(id: string): Promise<Uint8Array[]> {
  const o = instance.store.submissions.objects(id);
  return Promise.all([o.manifest, ...o.parts].map((name) => instance.store.blobs.read(name)));
}
/** The conversation's label ciphertext, read from the database file as it is now. */
async function label(): Promise<Uint8Array> {
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    return new Uint8Array(Buffer.from(db.prepare('SELECT label FROM sources WHERE id = ?').pluck().get(sourceId) as string, 'base64'));
  } finally {
    db.close();
  }
}
const opens = async (objects: Uint8Array[], key: PrivateKey) => {
  for (const o of objects) await decryptObject({ data: o, keys: [key] });
  return true;
};

beforeAll(async () => {
  instance = await startInstance();
  [alice, bob, carol] = [await account('alice', -1), await account('bob', 0), await account('carol', 1)];
  const tips = instance.store.desks.create('tips', {}, 'cli');
  instance.store.desks.addMember(tips.id, alice.id);
  const other_ = instance.store.desks.create('investigations', {}, 'cli');
  instance.store.desks.addMember(other_.id, carol.id);
  ({ sourceId, item } = await deskConversation(instance.store, tips.id, alice.publicKey, data));
  const a = await readJournalistKey(alice.publicKey);
  // A label sealed to alice alone (the desk's only member): it moves with the conversation too.
  instance.store.sources.setLabel(sourceId, Buffer.from(await sealText({ kind: 'label', text: 'ministry clerk', recipients: [a.key] })).toString('base64'));
  other = await storeItem(instance.store, sourceId, randomBytes(100), [{ key: a.key, fingerprint: a.fingerprint }]);
}, 60_000);
afterAll(() => instance?.stop());

describe('sharing an item', () => {
  test('bob cannot see the conversation before; the plan names only bob\'s key and the item\'s objects', async () => {
    expect((await bob.client.get(`/conversations/${sourceId}/headers`)).status).toBe(404);
    const res = await postJson(alice.client, `/conversations/${sourceId}/share`, { items: [item], to: { username: 'bob' } });
    expect(res.status).toBe(200);
    const plan = (await res.json()) as PlanAnswer;
    const bobKey = (await readJournalistKey(bob.publicKey)).recipientKeyId;
    expect(plan.objects.map((o) => o.ref)).toEqual([`m:${item}`, ...Array.from({ length: plan.objects.length - 1 }, (_, i) => `p:${item}:${i + 1}`)]);
    expect(plan.objects.length).toBeGreaterThan(3);
    for (const o of plan.objects) expect(o.add).toEqual([bobKey]);
    expect(Object.keys(plan.keys)).toEqual([bobKey]);
  });

  test('refusals change nothing: a missing or extra object (409), packets for another key, trailing bytes, not base64 (400), no CSRF (403)', async () => {
    const before = await objectsOf(item);
    const path = `/conversations/${sourceId}/share`;
    const body = { items: [item], to: { username: 'bob' } };
    const plan = (await (await postJson(alice.client, path, body)).json()) as PlanAnswer;
    const objects = await wrapPlan(plan, [alice.private]);
    expect((await postJson(alice.client, path, { ...body, objects: objects.slice(1) })).status).toBe(409);
    expect((await postJson(alice.client, path, { ...body, objects: [...objects, { ref: `r:${'0'.repeat(32)}`, add: '' }] })).status).toBe(409);
    const wrong = await wrapPlan({ ...plan, keys: Object.fromEntries(Object.keys(plan.keys).map((k) => [k, carol.publicKey])) }, [alice.private]);
    expect((await postJson(alice.client, path, { ...body, objects: wrong })).status).toBe(400);
    const trailing = objects.map((o, i) => (i === 0 ? { ...o, add: Buffer.concat([Buffer.from(o.add, 'base64'), Buffer.from([0xc1])]).toString('base64') } : o));
    expect((await postJson(alice.client, path, { ...body, objects: trailing })).status).toBe(400);
    expect((await postJson(alice.client, path, { ...body, objects: objects.map((o) => ({ ...o, add: '%%%' })) })).status).toBe(400);
    const v6 = objects.map((o, i) => (i === 0 ? { ...o, add: Buffer.from(Buffer.from(o.add, 'base64').map((b, at) => (at === 2 ? 6 : b))).toString('base64') } : o));
    expect((await postJson(alice.client, path, { ...body, objects: v6 })).status).toBe(400);
    expect((await postJson(alice.client, path, { ...body, objects }, 'forged')).status).toBe(403);
    expect((await postJson(alice.client, path, { ...body, to: { username: 'bob', desk: 'tips' } })).status).toBe(400);
    expect((await postJson(bob.client, path, body)).status).toBe(404);
    expect(Buffer.concat(await objectsOf(item))).toEqual(Buffer.concat(before));
  });

  test('done: bob opens every object with his key alone; the bulk and alice\'s PKESK are unchanged; audited by fingerprint', async () => {
    const before = await objectsOf(item);
    const res = await rewrapThrough(alice.client, `/conversations/${sourceId}/share`, { items: [item], to: { username: 'bob' } }, [alice.private]);
    expect(res.status).toBe(200);
    const after = await objectsOf(item);
    expect(await opens(after, bob.private)).toBe(true);
    expect(await opens(after, alice.private)).toBe(true);
    for (const [i, o] of after.entries()) {
      const [old, now] = [splitHeader(before[i]!), splitHeader(o)];
      expect(Buffer.from(o.subarray(now.sealedAt))).toEqual(Buffer.from(before[i]!.subarray(old.sealedAt)));
      expect(Buffer.from(now.pkesks[0]!.bytes)).toEqual(Buffer.from(old.pkesks[0]!.bytes));
    }
    await expect(decryptObject({ data: (await objectsOf(other))[0]!, keys: [bob.private] })).rejects.toThrow();
    expect((await bob.client.get(`/conversations/${sourceId}/headers`)).status).toBe(200);
    const entry = instance.store.audit.withPrefix('access.').at(-1)!;
    expect(entry.action).toBe('access.share');
    expect(JSON.stringify(entry.detail)).toBe(JSON.stringify({ added: [bob.fingerprint], removed: [] }));
    expect((await postJson(alice.client, `/conversations/${sourceId}/share`, { items: [item], to: { username: 'bob' } })).status).toBe(409);
  });

  test('to a desk: its members who lack the item gain it, and only they are recorded; a desk that can open it all has nothing to gain (409)', async () => {
    expect((await postJson(alice.client, `/conversations/${sourceId}/share`, { items: [other], to: { desk: 'tips' } })).status).toBe(409);
    const res = await rewrapThrough(alice.client, `/conversations/${sourceId}/share`, { items: [other], to: { desk: 'investigations' } }, [alice.private]);
    expect(res.status).toBe(200);
    expect(await opens(await objectsOf(other), carol.private)).toBe(true);
    expect(instance.store.audit.withPrefix('access.').at(-1)!.detail).toEqual({ added: [carol.fingerprint], removed: [] });
    expect((await postJson(alice.client, `/conversations/${sourceId}/share`, { items: [other], to: { desk: 'nowhere' } })).status).toBe(404);
  });
});

describe('moving a conversation', () => {
  test('bob (not in the desk) cannot move it; alice moves it to investigations: carol opens everything, alice no longer', async () => {
    expect((await postJson(bob.client, `/conversations/${sourceId}/move`, { toDesk: 'investigations' })).status).toBe(409);
    const res = await rewrapThrough(alice.client, `/conversations/${sourceId}/move`, { toDesk: 'investigations' }, [alice.private]);
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toMatchObject({ done: expect.any(Number) });
    for (const id of [item, other]) {
      expect(await opens(await objectsOf(id), carol.private)).toBe(true);
      await expect(decryptObject({ data: (await objectsOf(id))[0]!, keys: [alice.private] })).rejects.toThrow();
    }
    expect(instance.store.desks.deskOf(sourceId)).toBe(instance.store.desks.get('investigations').id);
    expect(await opens([await label()], carol.private)).toBe(true);
    await expect(decryptObject({ data: await label(), keys: [alice.private] })).rejects.toThrow();
    expect((await alice.client.get(`/conversations/${sourceId}/headers`)).status).toBe(404);
    expect(instance.store.audit.withPrefix('access.').at(-1)!.action).toBe('access.move');
  });
});

describe('rotating a key', () => {
  test('carol\'s items move to her new key: the old key no longer opens them, the new one does', async () => {
    const pair = await generateKeyPair({ name: 'carol 2' });
    const next = await readJournalistKey(pair.publicKey);
    instance.store.journalists.rotateKey(carol.id, { fingerprint: next.fingerprint, recipientKeyId: next.recipientKeyId, publicKey: next.armored });
    const newKey = await readPrivateKey(pair.privateKey);
    const res = await rewrapThrough(carol.client, '/account/rotate', {}, [carol.private]);
    expect(res.status, await res.clone().text()).toBe(200);
    for (const id of [item, other]) {
      const objects = await objectsOf(id);
      expect(await opens(objects, newKey)).toBe(true);
      await expect(decryptObject({ data: objects[0]!, keys: [carol.private] })).rejects.toThrow();
      expect(readObjectHeaders(objects[0]!).recipientKeyIds).toContain(next.recipientKeyId);
    }
    expect(await opens([await label()], newKey)).toBe(true);
    expect((await postJson(carol.client, '/account/rotate', {})).status).toBe(409);
    const entry = instance.store.audit.withPrefix('access.').at(-1)!;
    expect(entry.action).toBe('access.rotate');
    expect(JSON.stringify(entry.detail)).toBe(JSON.stringify({ added: [next.fingerprint], removed: [carol.fingerprint] }));
  });
});

test('rotating without a retired key: nothing to do (409), even with well-formed packets sent', async () => {
  const wrapped = await wrapSessionKey(randomBytes(32), [bob.publicKey]);
  const res = await postJson(alice.client, '/account/rotate', { objects: [{ ref: `m:${item}`, add: Buffer.from(wrapped).toString('base64') }] });
  expect(res.status).toBe(409);
});
