import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { decryptObject, readJournalistKey, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { NotFoundError } from '../../server/store/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { deskConversation, postJson, rewrapThrough } from '../helpers/rewrap.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Moving a conversation is a `move` change (issue 23): with two administrators it waits, its
// re-wrapped packets held in the change, and only a second administrator's confirmation writes
// the files (against the objects as they are then). A conversation changed in between is refused
// at confirmation, nothing moves, and the stale change is withdrawn (to be asked for again).
type Account = Awaited<ReturnType<typeof makeAccount>> & { private: PrivateKey; client: StaffClient };
let instance: Instance;
let ann: Account;
let ben: Account;
let deskA: number;
let deskB: number;

async function admin(username: string, step: number): Promise<Account> {
  const a = await makeAccount(instance, username, { isAdmin: true });
  const client = new StaffClient(instance.journalistUrl);
  expect((await client.login(username, a.passphrase, a.code(step))).status).toBe(303);
  await client.get('/');
  return { ...a, private: await readPrivateKey(a.privateKey), client };
}

/** A conversation of desk A with one item sealed to ann. */
const conversation = () => deskConversation(instance.store, deskA, ann.publicKey, randomBytes(20_000));
const manifestOf = (item: string) => instance.store.blobs.read(instance.store.submissions.objects(item).manifest);

beforeAll(async () => {
  instance = await startInstance();
  [ann, ben] = [await admin('ann', -1), await admin('ben', 0)];
  deskA = instance.store.desks.create('a', {}, 'cli').id;
  deskB = instance.store.desks.create('b', {}, 'cli').id;
  instance.store.desks.addMember(deskA, ann.id);
  instance.store.desks.addMember(deskB, ben.id);
}, 60_000);
afterAll(() => instance?.stop());

test('a move waits for the second administrator; confirmed, ben opens the item and the conversation is desk B\'s', async () => {
  const { sourceId, item } = await conversation();
  const res = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  expect(res.status).toBe(200);
  const { pending } = (await res.json()) as { pending: number };
  expect(pending).toEqual(expect.any(Number));
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskA);
  await expect(decryptObject({ data: await manifestOf(item), keys: [ben.private] })).rejects.toThrow();
  await expect(instance.store.changes.confirm(pending, ann.id)).rejects.toThrow(/You requested this change/);
  await instance.store.changes.confirm(pending, ben.id);
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskB);
  for (const name of Object.values(instance.store.submissions.objects(item)).flat()) {
    await decryptObject({ data: await instance.store.blobs.read(name), keys: [ben.private] });
  }
  const entry = instance.store.audit.withPrefix('access.').at(-1)!;
  expect(entry.action).toBe('access.move');
  expect(entry.detail).toMatchObject({ added: [ben.fingerprint], removed: [ann.fingerprint], confirmedBy: 'ben' });
});

test('a conversation changed between request and confirmation: refused (409), nothing moves, the move is withdrawn and can be asked for again', async () => {
  const { sourceId, item } = await conversation();
  const res = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  const { pending } = (await res.json()) as { pending: number };
  // Meanwhile ann shares the item with ben: its files are re-wrapped, the held packets are stale.
  expect((await rewrapThrough(ann.client, `/conversations/${sourceId}/share`, { items: [item], to: { username: 'ben' } }, [ann.private])).status).toBe(200);
  const before = Buffer.from(await manifestOf(item));
  const refused = await ben.client.post(`/admin/changes/${pending}/confirm`, { csrf: ben.client.csrf, digest: instance.store.changes.get(pending).digest });
  expect(refused.status).toBe(409);
  expect(await refused.text()).toContain('so nothing moved and the move was withdrawn. To move it, ask for the move again');
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskA);
  expect(Buffer.from(await manifestOf(item)).equals(before)).toBe(true);
  // Withdrawn, not left on the Changes page for ever: the system rejected it, saying why.
  expect(instance.store.changes.pending().map((c) => c.id)).not.toContain(pending);
  expect(instance.store.audit.entries().at(-1)).toMatchObject({ actor: 'system', action: 'change.reject', detail: { change: pending, kind: 'move', reason: 'changed' } });
  // Asked for again, the move is held anew (not 409 'already waiting'), and a second administrator can confirm it.
  const again = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  expect(again.status).toBe(200);
  await instance.store.changes.confirm(((await again.json()) as { pending: number }).pending, ben.id);
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskB);
});

test('a stale move confirmed in the store: ChangeRefusedError move_withdrawn, and the row is gone', async () => {
  const { sourceId, item } = await conversation();
  const res = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  const { pending } = (await res.json()) as { pending: number };
  expect((await rewrapThrough(ann.client, `/conversations/${sourceId}/share`, { items: [item], to: { username: 'ben' } }, [ann.private])).status).toBe(200);
  await expect(instance.store.changes.confirm(pending, ben.id)).rejects.toMatchObject({ name: 'ChangeRefusedError', code: 'move_withdrawn' });
  await expect(instance.store.changes.confirm(pending, ben.id)).rejects.toThrow(NotFoundError);
  expect((await postJson(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'a' })).status).toBe(409);
});

test('a label rewritten while the move waits (same ref, new session key): the move is withdrawn, nothing moves, the label still opens', async () => {
  const { sourceId } = await conversation();
  const seal = async (text: string) => Buffer.from(await sealText({ kind: 'label', text, recipients: [(await readJournalistKey(ann.publicKey)).key] })).toString('base64');
  instance.store.sources.setLabel(sourceId, await seal('label one'));
  const res = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  const { pending } = (await res.json()) as { pending: number };
  const relabelled = await seal('label two');
  instance.store.sources.setLabel(sourceId, relabelled);
  await expect(instance.store.changes.confirm(pending, ben.id)).rejects.toMatchObject({ name: 'ChangeRefusedError', code: 'move_withdrawn' });
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskA);
  expect(instance.store.thread.of(sourceId, ann.id).label).toBe(relabelled);
  await decryptObject({ data: new Uint8Array(Buffer.from(relabelled, 'base64')), keys: [ann.private] });
});

test('a second move of a conversation while one waits for confirmation: 409, nothing more is held', async () => {
  const { sourceId } = await conversation();
  const first = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: 'b' }, [ann.private]);
  const { pending } = (await first.json()) as { pending: number };
  expect(pending).toEqual(expect.any(Number));
  const held = instance.store.changes.pending().length;
  const again = await rewrapThrough(ann.client, `/conversations/${sourceId}/move`, { toDesk: null }, [ann.private]);
  expect(again.status).toBe(409);
  expect(await again.text()).toMatch(/already waiting for a second administrator/);
  expect(instance.store.changes.pending().length).toBe(held);
  await instance.store.changes.reject(pending, ann.id);
});
