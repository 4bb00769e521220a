import { describe, expect, test } from 'vitest';
import { ConflictError, deskText, InvalidInputError, NotFoundError } from '../../../server/store/index.ts';
import { newSource } from '../../helpers/sources.ts';
import { tempStore } from '../../helpers/temp-store.ts';
import { addJournalist } from '../../helpers/journalists.ts';

const store = tempStore('sealdrop-desks-');

const TEXTS = { en: { name: 'Investigations', description: 'Long projects' }, ug: { name: 'تەكشۈرۈش', description: '' } };

describe('desks', () => {
  test('are created by slug with their texts, listed, found by slug and id, and audited', () => {
    const desk = store.desks.create('investigations', TEXTS, 'cli');
    expect(store.desks.get('investigations')).toEqual(desk);
    expect(store.desks.byId(desk.id).texts).toEqual(TEXTS);
    store.desks.create('culture', {}, { username: 'ada' });
    expect(store.desks.list().map((d) => d.name)).toEqual(['culture', 'investigations']);
    expect(store.audit.entries().map((e) => [e.actor, e.action, e.detail])).toEqual([
      ['cli', 'desk.add', { desk: 'investigations' }],
      ['journalist:ada', 'desk.add', { desk: 'culture' }],
    ]);
    expect(() => store.desks.get('nope')).toThrow(NotFoundError);
  });

  test('refuse a bad slug, a taken slug, and texts in unknown languages or too long, changing nothing', () => {
    for (const bad of ['', 'Upper', '-lead', 'a b', 'x'.repeat(41), 'café']) expect(() => store.desks.create(bad, {}, 'cli')).toThrow(InvalidInputError);
    expect(() => store.desks.create('a', { fr: { name: 'x', description: '' } }, 'cli')).toThrow(InvalidInputError);
    expect(() => store.desks.create('a', { en: { name: 'x'.repeat(81), description: '' } }, 'cli')).toThrow(InvalidInputError);
    expect(() => store.desks.create('a', { en: { name: 1, description: '' } } as never, 'cli')).toThrow(InvalidInputError);
    store.desks.create('a', {}, 'cli');
    expect(() => store.desks.create('a', {}, 'cli')).toThrow(ConflictError);
    expect(store.desks.list()).toHaveLength(1);
    expect(store.audit.entries()).toHaveLength(1);
  });

  test('texts fall back to English, then to the slug; setTexts replaces them', () => {
    const desk = store.desks.create('news', TEXTS, 'cli');
    expect(deskText(desk, 'ug').name).toBe('تەكشۈرۈش');
    expect(deskText(desk, 'zh-Hans')).toEqual(TEXTS.en);
    store.desks.setTexts(desk.id, { en: { name: '  ', description: '' } }, 'cli');
    expect(deskText(store.desks.byId(desk.id), 'en')).toEqual({ name: 'news', description: '' });
    expect(store.audit.latest(1)[0]).toMatchObject({ action: 'access.desk-texts', detail: { desk: 'news' } });
  });

  test('members: added at once by the applier, removed at once with an access entry naming the fingerprint', async () => {
    const desk = store.desks.create('news', {}, 'cli');
    const jo = await addJournalist(store, 'jo');
    const al = await addJournalist(store, 'al');
    store.desks.addMember(desk.id, jo.id);
    store.desks.addMember(desk.id, al.id);
    expect(() => store.desks.addMember(desk.id, jo.id)).toThrow(ConflictError);
    expect(store.desks.members(desk.id).map((j) => j.username)).toEqual(['al', 'jo']);
    expect(store.desks.forJournalist(jo.id).map((d) => d.name)).toEqual(['news']);
    store.desks.removeMember(desk.id, jo.id, { username: 'boss' });
    expect(store.desks.members(desk.id).map((j) => j.username)).toEqual(['al']);
    expect(store.desks.forJournalist(jo.id)).toEqual([]);
    expect(store.audit.latest(1)[0]).toMatchObject({ actor: 'journalist:boss', action: 'access.member-removed', detail: { added: [], removed: [jo.fingerprint], journalist: 'jo', desk: 'news' } });
    expect(() => store.desks.removeMember(desk.id, jo.id, 'cli')).toThrow(NotFoundError);
  });

  test('offered: only desks with an active member; readers are the active members, or every active journalist for null', async () => {
    const a = store.desks.create('a', {}, 'cli');
    store.desks.create('b', {}, 'cli');
    const jo = await addJournalist(store, 'jo');
    const al = await addJournalist(store, 'al');
    expect(store.desks.offered()).toEqual([]);
    store.desks.addMember(a.id, jo.id);
    expect(store.desks.offered().map((d) => d.name)).toEqual(['a']);
    expect(store.desks.readerFingerprints(a.id)).toEqual([jo.fingerprint]);
    expect(store.desks.readerFingerprints(null).sort()).toEqual([jo.fingerprint, al.fingerprint].sort());
    store.journalists.setActive(jo.id, false);
    expect(store.desks.offered()).toEqual([]);
    expect(store.desks.readerFingerprints(a.id)).toEqual([]);
  });

  test('a conversation belongs to a desk or to the newsroom; a desk with conversations cannot be removed', () => {
    const desk = store.desks.create('news', {}, 'cli');
    const source = newSource(store);
    expect(store.desks.deskOf(source.id)).toBeNull();
    store.desks.setDesk(source.id, desk.id);
    expect(store.desks.deskOf(source.id)).toBe(desk.id);
    expect(() => store.desks.remove(desk.id, 'cli')).toThrow(ConflictError);
    expect(store.desks.list()).toHaveLength(1);
    store.desks.setDesk(source.id, null);
    store.desks.remove(desk.id, 'cli');
    expect(store.desks.list()).toEqual([]);
    expect(store.audit.latest(1)[0]).toMatchObject({ action: 'desk.remove', detail: { desk: 'news' } });
    expect(() => store.desks.setDesk(source.id, desk.id)).toThrow(NotFoundError);
    expect(() => store.desks.deskOf('f'.repeat(32))).toThrow(NotFoundError);
  });
});
