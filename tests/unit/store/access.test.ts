import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../../common/envelope/index.ts';
import { NotFoundError, openStore, type Journalist, type Store } from '../../../server/store/index.ts';
import { said } from '../../../server/i18n/said.ts';
import { newSource, SOURCE_KEY } from '../../helpers/sources.ts';

// server/store/access.ts with a real store: who sees which conversation, item and reply. Anna is on
// desk "investigations", Ben on "sports", Carl on no desk; one of the investigations items is sealed
// to Carl too (shared with him), and Carl's earlier key (retired) opens another conversation's item.
let dir: string;
let store: Store;
const j = {} as Record<'anna' | 'ben' | 'carl', Journalist>;
let carlOld: string;
const ids = { desked: '', open: '', retired: '', own: '', shared: '', reply: '', retiredItem: '', sharedReply: '' };
const MISSING = said('staff.error.noSource');

async function key() {
  const k = await readJournalistKey((await generateKeyPair({ name: 'x' })).publicKey);
  return { fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.armored };
}
async function item(source: string, sealedTo: string[]): Promise<string> {
  const id = store.submissions.create(source, 1);
  await store.submissions.putPart(id, 1, new Uint8Array(100));
  await store.submissions.putManifest(id, new Uint8Array(100));
  store.submissions.complete(id, sealedTo);
  return id;
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-access-'));
  store = openStore(dir);
  for (const name of ['anna', 'ben', 'carl'] as const) j[name] = store.journalists.add({ username: name, ...(await key()) });
  carlOld = j.carl.fingerprint;
  store.journalists.rotateKey(j.carl.id, await key());
  const investigations = store.desks.create('investigations', {}, 'cli');
  const sports = store.desks.create('sports', {}, 'cli');
  store.desks.addMember(investigations.id, j.anna.id);
  store.desks.addMember(sports.id, j.ben.id);
  ids.desked = newSource(store).id;
  ids.open = newSource(store).id;
  ids.retired = newSource(store).id;
  store.desks.setDesk(ids.desked, investigations.id);
  store.desks.setDesk(ids.retired, sports.id);
  ids.own = await item(ids.desked, [j.anna.fingerprint]);
  ids.shared = await item(ids.desked, [j.anna.fingerprint, store.journalists.byId(j.carl.id).fingerprint]);
  ids.reply = await store.replies.add(ids.desked, new Uint8Array(10), j.anna.id, ['source', j.anna.fingerprint]);
  ids.sharedReply = await store.replies.add(ids.desked, new Uint8Array(10), j.anna.id, ['source', j.anna.fingerprint, carlOld]);
  ids.retiredItem = await item(ids.retired, [j.ben.fingerprint, carlOld]);
  await item(ids.open, [j.anna.fingerprint, j.ben.fingerprint]);
});
afterAll(async () => {
  store.close();
  await rm(dir, { recursive: true, force: true });
});

describe('conversations', () => {
  test('one of no desk is everyone\'s; a desk\'s is its members\' and theirs whose key an item is sealed to (current or retired)', () => {
    const sees = (who: 'anna' | 'ben' | 'carl') => [ids.desked, ids.open, ids.retired].filter((id) => store.access.canSee(j[who].id, id));
    expect(sees('anna')).toEqual([ids.desked, ids.open]);
    expect(sees('ben')).toEqual([ids.open, ids.retired]);
    expect(sees('carl')).toEqual([ids.desked, ids.open, ids.retired]);
  });

  test('an unseen one is refused exactly like an unknown one, with the caller\'s message', () => {
    expect(() => store.access.assertSource(j.ben.id, ids.desked, MISSING)).toThrow(NotFoundError);
    expect(() => store.access.assertSource(j.ben.id, '0'.repeat(32), MISSING)).toThrow(NotFoundError);
    expect(() => store.access.assertSource(j.anna.id, ids.desked, MISSING)).not.toThrow();
  });

  test('the list shows each journalist theirs, counting only the items they may see', () => {
    const lines = (who: 'anna' | 'ben' | 'carl') => Object.fromEntries(store.inbox.page(j[who].id, 'all', 1).lines.map((l) => [l.id, l.items]));
    expect(lines('anna')).toEqual({ [ids.desked]: 2, [ids.open]: 1 });
    expect(lines('ben')).toEqual({ [ids.open]: 1, [ids.retired]: 1 });
    expect(lines('carl')).toEqual({ [ids.desked]: 1, [ids.open]: 1, [ids.retired]: 1 });
    expect(store.inbox.page(j.carl.id, 'unread', 1).total).toBe(3);
  });
});

describe('items and replies inside a conversation', () => {
  test('a non-member sees only what is sealed to one of their keys', () => {
    const entries = (who: 'anna' | 'carl') => store.thread.of(ids.desked, j[who].id).entries.map((e) => e.id);
    expect(entries('anna')).toEqual([ids.own, ids.shared, ids.reply, ids.sharedReply]);
    expect(entries('carl')).toEqual([ids.shared, ids.sharedReply]);
    expect(() => store.access.sourceOfItem(j.carl.id, ids.own, MISSING)).toThrow(NotFoundError);
    expect(store.access.sourceOfItem(j.carl.id, ids.shared, MISSING)).toBe(ids.desked);
    expect(() => store.access.assertReply(j.carl.id, ids.reply, MISSING)).toThrow(NotFoundError);
    expect(() => store.access.assertReply(j.carl.id, ids.sharedReply, MISSING)).not.toThrow();
    expect(() => store.access.assertReply(j.ben.id, ids.sharedReply, MISSING)).toThrow(NotFoundError);
  });

  test('read marks from a bulk action go on the visible items only', () => {
    store.inbox.apply('read', [ids.desked], j.carl.id);
    // What the source is shown as opened: the shared item only, never the one Carl cannot see.
    expect(store.submissions.sentBy(ids.desked).map((s) => s.opened)).toEqual([false, true]);
  });
});

test('keys are named for the reader: theirs, their old one, a colleague\'s, a former colleague\'s, the source', () => {
  const carlNow = store.journalists.byId(j.carl.id).fingerprint;
  expect(store.access.describe(j.carl.id, [carlNow, carlOld, j.anna.fingerprint, 'unknown:0123456789abcdef', 'source'])).toEqual([
    { kind: 'mine' },
    { kind: 'mine-old', fingerprint: carlOld },
    { kind: 'colleague', username: 'anna', fingerprint: j.anna.fingerprint },
    { kind: 'former' },
    { kind: 'source' },
  ]);
  expect(store.access.describe(j.anna.id, [carlOld])).toEqual([{ kind: 'colleague', username: 'carl', fingerprint: carlOld }]);
});

// One rule for who reads a whole conversation: the routes' (store.access) and the re-wrap store's
// were two, and only the first required the conversation to be announced.
test('an unannounced conversation (a no-JS upload whose codename was never shown) is nobody\'s whole: it cannot be moved', async () => {
  const hidden = store.sources.create({ loginSecret: 'f'.repeat(64), ...SOURCE_KEY, privateKey: 'private' }, { announced: false });
  expect(store.access.readsWhole(j.anna.id, hidden.id)).toBe(false);
  expect(store.access.readsWhole(j.anna.id, ids.open)).toBe(true);
  await expect(store.rewrap.planMove(hidden.id, null, j.anna.id)).rejects.toMatchObject({ said: { key: 'staff.rewrap.notWhole' } });
});
