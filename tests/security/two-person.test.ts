import { describe, expect, test } from 'vitest';
import { addJournalist, keyFields } from '../helpers/journalists.ts';
import { newSource, sealedItem } from '../helpers/sources.ts';
import { tempStore } from '../helpers/temp-store.ts';
import { chosenDesk, offeredDesks } from '../../server/sources/desks.ts';
import { recipientsOf } from '../../server/recipients.ts';
import { ConflictError, type ChangeResult, type Store } from '../../server/store/index.ts';

// The two-person rule against one person holding two accounts (independent review of issue 23,
// findings 1-6; 7-8 are in two-person-web.test.ts): whoever was shown a journalist's enrolment link
// can be that journalist, so neither confirms the other; making an administrator and resetting anyone
// are held; a confirmation names the change it saw; the desk choice cannot be steered alone; a key
// anything was sealed to never goes to someone else.
const store = tempStore('sealdrop-two-person-');

const codeOf = async (act: () => unknown): Promise<string | undefined> => {
  try {
    await act();
  } catch (e) {
    return (e as { code?: string }).code ?? (e as Error).name;
  }
  return undefined;
};
const pendingId = (r: ChangeResult) => {
  expect(r.applied).toBe(false);
  return (r as { id: number }).id;
};
/** Two active administrators, and a journalist `jo` on desk "inv". */
async function newsroom(s: Store) {
  const ada = await addJournalist(s, 'ada', true);
  const bo = await addJournalist(s, 'bo', true);
  const jo = await addJournalist(s, 'jo');
  const inv = s.desks.create('inv', {}, 'cli');
  s.desks.addMember(inv.id, jo.id);
  return { ada, bo, jo, inv };
}
async function newKey(name: string) {
  const { privateKey: _, ...k } = await keyFields(name);
  return k;
}

describe('finding 1: whoever holds an enrolment link is not a second person', () => {
  test('a reset of a journalist who is not an administrator is held; its confirmer cannot confirm that journalist\'s changes, the requester can', async () => {
    const { ada, bo, jo, inv } = await newsroom(store);
    const reset = pendingId(await store.changes.request('admin', { journalistId: jo.id, action: 'reset' }, ada.id));
    await store.changes.confirm(reset, bo.id);
    store.journalists.createEnrolment(jo.id, bo.id); // as the Changes page does: bo is shown the link
    const evil = await newKey('evil');
    const key = pendingId(await store.changes.request('key', { journalistId: jo.id, publicKey: evil.publicKey }, jo.id));
    expect(await codeOf(() => store.changes.confirm(key, bo.id))).toBe('same_admin');
    expect(store.desks.readerFingerprints(inv.id)).not.toContain(evil.fingerprint);
    await store.changes.confirm(key, ada.id);
    expect(store.desks.readerFingerprints(inv.id)).toContain(evil.fingerprint);
  });

  test('an administrator who added a journalist and that journalist never confirm each other\'s changes', async () => {
    const { ada, bo, inv } = await newsroom(store);
    const { journalist: xa } = await store.changes.addJournalist({ ...(await newKey('xa')), username: 'xa', isAdmin: true }, ada.id);
    for (const c of store.changes.pending()) await store.changes.confirm(c.id, bo.id);
    store.journalists.createEnrolment(xa.id, ada.id);
    expect(store.journalists.byId(xa.id)).toMatchObject({ active: true, isAdmin: true });
    const mine = pendingId(await store.changes.request('member', { deskId: inv.id, journalistId: ada.id }, ada.id));
    expect(await codeOf(() => store.changes.confirm(mine, xa.id))).toBe('same_admin');
    const theirs = pendingId(await store.changes.request('member', { deskId: inv.id, journalistId: xa.id }, xa.id));
    expect(await codeOf(() => store.changes.confirm(theirs, ada.id))).toBe('same_admin');
    await store.changes.confirm(theirs, bo.id);
    expect(store.desks.isMember(inv.id, xa.id)).toBe(true);
  });
});

describe('finding 2: making an administrator is a change of its own', () => {
  test('adding a journalist as an administrator holds a promote change; until it is confirmed they are not one', async () => {
    const { ada, bo } = await newsroom(store);
    const { journalist: x } = await store.changes.addJournalist({ ...(await newKey('x')), username: 'xavier', isAdmin: true }, ada.id);
    expect(x.isAdmin).toBe(false);
    const pending = store.changes.pending();
    expect(pending.map((c) => [c.kind, c.action ?? null])).toEqual([['enable', null], ['admin', 'promote']]);
    await store.changes.confirm(pending[0]!.id, bo.id);
    expect(store.journalists.byId(x.id)).toMatchObject({ active: true, isAdmin: false });
    await store.changes.confirm(pending[1]!.id, bo.id);
    expect(store.journalists.byId(x.id).isAdmin).toBe(true);
    expect(store.audit.latest(1)[0]).toMatchObject({ action: 'access.admin', detail: { action: 'promote', journalist: 'xavier', confirmedBy: 'bo' } });
  });
});

describe('finding 3: a confirmation names the change it saw', () => {
  test('ids are never reused, and a digest that is not the change\'s is refused (change_changed)', async () => {
    const { ada, bo, jo, inv } = await newsroom(store);
    const news = store.desks.create('news', {}, 'cli');
    const first = pendingId(await store.changes.request('member', { deskId: news.id, journalistId: jo.id }, ada.id));
    const shown = store.changes.get(first).digest;
    store.changes.reject(first, ada.id);
    const second = pendingId(await store.changes.request('member', { deskId: inv.id, journalistId: ada.id }, ada.id));
    expect(second).not.toBe(first);
    expect(await codeOf(() => store.changes.confirm(second, bo.id, shown))).toBe('change_changed');
    expect(await codeOf(() => store.changes.reject(second, bo.id, shown))).toBe('change_changed');
    expect(store.desks.isMember(inv.id, ada.id)).toBe(false);
    await store.changes.confirm(second, bo.id, store.changes.get(second).digest);
    expect(store.desks.isMember(inv.id, ada.id)).toBe(true);
  });
});

describe('finding 4: one administrator cannot steer new sources to their desk', () => {
  test('with two desks a source chooses even when one is offered; renaming a desk is an access entry', async () => {
    const { ada, bo, jo, inv } = await newsroom(store);
    const sports = store.desks.create('sports', { en: { name: 'Sports', description: '' } }, 'cli');
    store.desks.addMember(sports.id, ada.id);
    store.desks.addMember(inv.id, bo.id);
    store.desks.removeMember(inv.id, bo.id, { username: 'ada' });
    store.desks.removeMember(inv.id, jo.id, { username: 'ada' });
    store.desks.setTexts(sports.id, { en: { name: 'Investigations', description: 'leaks' } }, { username: 'ada' });
    const offered = await offeredDesks(store, recipientsOf(store));
    expect(offered.map((d) => d.id)).toEqual([sports.id]);
    expect(() => chosenDesk(store, offered, undefined)).toThrow(expect.objectContaining({ code: 'desk_missing' }));
    expect(chosenDesk(store, offered, String(sports.id))).toBe(sports.id);
    expect(store.audit.withPrefix('access.').at(-1)).toMatchObject({ action: 'access.desk-texts', detail: { desk: 'sports' } });
  });

  test('with one desk, nothing is asked', async () => {
    const { inv } = await newsroom(store);
    expect(chosenDesk(store, await offeredDesks(store, recipientsOf(store)), undefined)).toBe(inv.id);
  });
});

describe('finding 5: another administrator\'s onion access key', () => {
  test('is an onion change held for a second administrator; one\'s own, or a non-administrator\'s, is not held', async () => {
    const { ada, bo, jo } = await newsroom(store);
    const held = pendingId(await store.changes.request('admin', { journalistId: bo.id, action: 'onion' }, ada.id));
    expect(store.changes.get(held)).toMatchObject({ action: 'onion', journalist: 'bo' });
    expect(await store.changes.request('admin', { journalistId: ada.id, action: 'onion' }, ada.id)).toEqual({ applied: true });
    expect(await store.changes.request('admin', { journalistId: jo.id, action: 'onion' }, ada.id)).toEqual({ applied: true });
    expect(store.audit.latest(1)[0]).toMatchObject({ action: 'access.admin', detail: { action: 'onion', journalist: 'jo', requestedBy: 'ada' } });
  });
});

describe('finding 6: a key anything was sealed to is never given to someone else', () => {
  test('a removed journalist\'s key, sealed to by an item or a reply, is refused to a newcomer', async () => {
    const ada = await addJournalist(store, 'ada', true);
    const keys = { jo: await newKey('jo'), kim: await newKey('kim') };
    const jo = store.journalists.add({ ...keys.jo, username: 'jo' });
    const kim = store.journalists.add({ ...keys.kim, username: 'kim' });
    const source = newSource(store);
    await sealedItem(store, source.id, [jo.fingerprint]);
    await store.replies.add(source.id, new Uint8Array(64), ada.id, ['source', kim.fingerprint]);
    for (const j of [jo, kim]) {
      await store.changes.request('admin', { journalistId: j.id, action: 'remove' }, ada.id);
      const key = keys[j.username as 'jo' | 'kim'];
      expect(() => store.journalists.add({ ...key, username: `new-${j.username}` })).toThrow(ConflictError);
      expect(await codeOf(() => store.changes.request('key', { journalistId: ada.id, publicKey: key.publicKey }, ada.id))).toBe('ConflictError');
    }
    // A key nothing was sealed to is free again once its holder is gone.
    const lee = store.journalists.add({ ...(await newKey('lee')), username: 'lee' });
    await store.changes.request('admin', { journalistId: lee.id, action: 'remove' }, ada.id);
    expect(store.journalists.add({ ...(await keyFieldsOf(lee.publicKey)), username: 'lee2' }).fingerprint).toBe(lee.fingerprint);
  });
});

async function keyFieldsOf(publicKey: string) {
  const { readJournalistKey } = await import('../../common/envelope/index.ts');
  const k = await readJournalistKey(publicKey);
  return { fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.armored };
}
