import { describe, expect, test } from 'vitest';
import { NotFoundError, ConflictError } from '../../../server/store/index.ts';
import { recipientsOf } from '../../../server/recipients.ts';
import { addJournalist, keyFields } from '../../helpers/journalists.ts';
import { newSource } from '../../helpers/sources.ts';
import { tempStore } from '../../helpers/temp-store.ts';

const store = tempStore('sealdrop-changes-');

const twoAdmins = async () => ({ ada: await addJournalist(store, 'ada', true), bo: await addJournalist(store, 'bo', true) });
const access = () => store.audit.withPrefix('access.');
const codeOf = (fn: () => unknown) => Promise.resolve().then(fn).then(() => 'none', (e: { code?: string }) => e.code);

describe('with one administrator, changes apply at once', () => {
  test('a desk member is added and the addition is audited as access.member', async () => {
    const ada = await addJournalist(store, 'ada', true);
    const jo = await addJournalist(store, 'jo');
    const desk = store.desks.create('news', {}, 'cli');
    expect(await store.changes.request('member', { deskId: desk.id, journalistId: jo.id }, ada.id)).toEqual({ applied: true });
    expect(store.desks.isMember(desk.id, jo.id)).toBe(true);
    expect(store.changes.pending()).toEqual([]);
    expect(access()).toMatchObject([{ actor: 'journalist:ada', action: 'access.member', detail: { added: [jo.fingerprint], removed: [], journalist: 'jo', desk: 'news', requestedBy: 'ada' } }]);
  });

  test('a new journalist from the CLI is active at once', async () => {
    const { privateKey: _, ...key } = await keyFields();
    const { journalist, result } = await store.changes.addJournalist({ ...key, username: 'jo' }, null);
    expect(result).toEqual({ applied: true });
    expect(journalist.active).toBe(true);
    expect(access()).toMatchObject([{ actor: 'cli', action: 'access.enable', detail: { added: [key.fingerprint], requestedBy: 'cli' } }]);
  });
});

describe('with two administrators, changes wait for the second', () => {
  test('a new journalist is pending, inactive, and never among the recipients until confirmed', async () => {
    const { ada, bo } = await twoAdmins();
    const { privateKey: _, ...key } = await keyFields();
    const { journalist, result } = await store.changes.addJournalist({ ...key, username: 'jo' }, ada.id);
    expect(result.applied).toBe(false);
    expect(journalist.active).toBe(false);
    const recipients = recipientsOf(store);
    expect((await recipients(null)).keys.map((k) => k.fingerprint)).not.toContain(key.fingerprint);
    const [pending] = store.changes.pending();
    expect(pending).toMatchObject({ kind: 'enable', journalist: 'jo', added: [key.fingerprint], requestedBy: 'ada' });
    expect(access()).toEqual([]);
    expect(store.audit.latest(1)[0]).toMatchObject({ action: 'change.request', detail: { kind: 'enable', added: [key.fingerprint] } });

    expect(await codeOf(() => store.changes.confirm(pending!.id, ada.id))).toBe('same_admin');
    expect(store.journalists.get('jo').active).toBe(false);
    await store.changes.confirm(pending!.id, bo.id);
    expect(store.journalists.get('jo').active).toBe(true);
    expect((await recipients(null)).keys.map((k) => k.fingerprint)).toContain(key.fingerprint);
    expect(store.changes.pending()).toEqual([]);
    expect(access()).toMatchObject([{ actor: 'journalist:bo', action: 'access.enable', detail: { added: [key.fingerprint], journalist: 'jo', requestedBy: 'ada', confirmedBy: 'bo' } }]);
    await expect(store.changes.confirm(pending!.id, bo.id)).rejects.toBeInstanceOf(NotFoundError);
  });

  test('a pending key is never a recipient; confirmed, the old key is retired and still owned', async () => {
    const { ada, bo } = await twoAdmins();
    const jo = await addJournalist(store, 'jo');
    const next = await keyFields('jo new');
    const result = await store.changes.request('key', { journalistId: jo.id, publicKey: next.publicKey }, jo.id);
    expect(result.applied).toBe(false);
    const recipients = recipientsOf(store);
    const fps = async () => (await recipients(null)).keys.map((k) => k.fingerprint);
    expect(await fps()).not.toContain(next.fingerprint);
    expect(store.changes.pending()[0]).toMatchObject({ kind: 'key', added: [next.fingerprint], removed: [jo.fingerprint] });
    await store.changes.confirm((result as { id: number }).id, ada.id);
    expect(await fps()).toContain(next.fingerprint);
    expect(await fps()).not.toContain(jo.fingerprint);
    expect(store.journalists.retiredKeys(jo.id).map((k) => k.fingerprint)).toEqual([jo.fingerprint]);
    expect(store.journalists.keyOwner(jo.fingerprint)).toMatchObject({ username: 'jo', retired: true });
    expect(store.journalists.keyOwner(next.recipientKeyId)).toMatchObject({ username: 'jo', retired: false });
    expect(store.journalists.keyOwner('0'.repeat(40))).toBeNull();
    // A retired key stays its owner's: nobody else may take it.
    await expect(store.changes.request('key', { journalistId: bo.id, publicKey: jo.publicKey }, bo.id)).rejects.toBeInstanceOf(ConflictError);
    await expect(store.changes.request('key', { journalistId: jo.id, publicKey: next.publicKey }, jo.id)).rejects.toBeInstanceOf(ConflictError);
  });

  test('a CLI request may be confirmed by any administrator; a non-administrator may not confirm', async () => {
    const { bo } = await twoAdmins();
    const jo = await addJournalist(store, 'jo');
    const desk = store.desks.create('news', {}, 'cli');
    const r = await store.changes.request('member', { deskId: desk.id, journalistId: jo.id }, null);
    if (r.applied) throw new Error('expected pending');
    expect(await codeOf(() => store.changes.confirm(r.id, jo.id))).toBe('not_admin');
    expect(store.desks.isMember(desk.id, jo.id)).toBe(false);
    await store.changes.confirm(r.id, bo.id);
    expect(store.desks.isMember(desk.id, jo.id)).toBe(true);
    expect(access()[0]).toMatchObject({ detail: { requestedBy: 'cli', confirmedBy: 'bo', desk: 'news' } });
  });

  test('demoting, disabling or resetting an administrator is held; the same for a journalist is not', async () => {
    const { ada, bo } = await twoAdmins();
    const demote = await store.changes.request('admin', { journalistId: bo.id, action: 'demote' }, ada.id);
    expect(demote.applied).toBe(false);
    expect(store.journalists.byId(bo.id).isAdmin).toBe(true);
    const jo = await addJournalist(store, 'jo');
    expect(await store.changes.request('admin', { journalistId: jo.id, action: 'disable' }, ada.id)).toEqual({ applied: true });
    expect(store.journalists.byId(jo.id).active).toBe(false);
    expect(access().at(-1)).toMatchObject({ action: 'access.admin', detail: { action: 'disable', removed: [jo.fingerprint] } });
    // The requester withdraws; nothing changed.
    store.changes.reject((demote as { id: number }).id, ada.id);
    expect(store.changes.pending()).toEqual([]);
    expect(store.journalists.byId(bo.id).isAdmin).toBe(true);
    expect(store.audit.latest(1)[0]).toMatchObject({ actor: 'journalist:ada', action: 'change.reject' });
  });

  test('reject by a non-administrator who did not request it is refused; confirm of a reset clears the login', async () => {
    const { ada, bo } = await twoAdmins();
    const jo = await addJournalist(store, 'jo');
    store.journalists.setCredentials(bo.id, { passwordHash: 'h', totpSecret: 's' });
    const r = await store.changes.request('admin', { journalistId: bo.id, action: 'reset' }, ada.id);
    if (r.applied) throw new Error('expected pending');
    expect(await codeOf(() => store.changes.reject(r.id, jo.id))).toBe('not_admin');
    expect(store.journalists.byId(bo.id).enrolled).toBe(true);
    await store.changes.confirm(r.id, bo.id);
    expect(store.journalists.byId(bo.id).enrolled).toBe(false);
  });

  test('member: refused when already a member; a pending one is dropped with its desk; a move is held like the rest', async () => {
    const { ada } = await twoAdmins();
    const jo = await addJournalist(store, 'jo');
    const desk = store.desks.create('news', {}, 'cli');
    await store.changes.request('member', { deskId: desk.id, journalistId: jo.id }, ada.id);
    expect(store.changes.pending()).toHaveLength(1);
    store.desks.remove(desk.id, 'cli');
    expect(store.changes.pending()).toEqual([]);
    const other = store.desks.create('other', {}, 'cli');
    store.desks.addMember(other.id, jo.id);
    await expect(store.changes.request('member', { deskId: other.id, journalistId: jo.id }, ada.id)).rejects.toBeInstanceOf(ConflictError);
    const source = newSource(store);
    const move = await store.changes.request('move', { sourceId: source.id, toDeskId: other.id, objects: [] }, ada.id);
    expect(store.changes.pending()[0]).toMatchObject({ kind: 'move', desk: 'other', added: [], removed: [ada.fingerprint, store.journalists.get('bo').fingerprint] });
    expect(move.applied).toBe(false);
  });
});
