import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { newSource } from '../helpers/sources.ts';

// The CLI beside the server: desks, members, key rotation and the two-person rule, as real
// processes. The web's confirmation is played by the store (what POST /admin/changes/:id/confirm calls).

let work: string;
let data: string;
const keys: Record<string, string> = {};
const PENDING = 'pending: a second administrator must confirm it on the web (Admin > Changes)';
const WARNING = 'the two-person rule needs two administrators';

const run = (...args: string[]) => sealdrop([...args, '--data', data]);
const ok = async (...args: string[]) => {
  const r = await run(...args);
  expect(r.code, r.stderr).toBe(0);
  return r;
};
const add = (name: string, ...more: string[]) => ok('journalist', 'add', '--username', name, '--public-key', keys[name]!, ...more);
async function withStore<T>(act: (store: Store) => T | Promise<T>): Promise<T> {
  const store = openStore(data);
  try {
    return await act(store);
  } finally {
    store.close();
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-cli-desks-'));
  data = path.join(work, 'data');
  for (const name of ['ada', 'bo', 'jo', 'kim', 'jo2']) {
    keys[name] = path.join(work, `${name}.asc`);
    await writeFile(keys[name]!, (await generateKeyPair({ name })).publicKey);
  }
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('sealdrop desk and the two-person rule', () => {
  test('with one administrator: changes apply at once, with a warning each time', async () => {
    const first = await add('ada', '--admin');
    expect(first.stdout).toMatch(/Added journalist ada \(administrator\)/);
    expect(first.stderr).toContain(WARNING);
    expect((await ok('desk', 'add', 'news', '--text-en', 'News|What happens today', '--text-ug', 'خەۋەر')).stdout).toMatch(/Added desk news/);
    await add('jo');
    const member = await ok('desk', 'member', '--desk', 'news', '--username', 'jo');
    expect(member.stdout).toMatch(/Added jo to desk news/);
    expect(member.stderr).toContain(WARNING);
    expect((await ok('desk', 'list')).stdout).toBe('news\tNews\tjo\toffered\n');
    await withStore((store) => {
      expect(store.desks.get('news').texts).toEqual({ en: { name: 'News', description: 'What happens today' }, ug: { name: 'خەۋەر', description: '' } });
      expect(store.audit.entries().every((e) => e.actor === 'cli')).toBe(true);
      expect(store.audit.entries().map((e) => e.action)).toEqual(['journalist.add', 'access.enable', 'access.admin', 'desk.add', 'journalist.add', 'access.enable', 'access.member']);
    });
  }, 60_000);

  test('with two administrators: a new journalist, a member, a key and disabling an administrator wait; removing a member does not', async () => {
    await add('bo', '--admin'); // the second administrator: applied, as there was one
    const kim = await add('kim');
    expect(kim.stdout).toContain(PENDING);
    expect(kim.stdout).toMatch(/disabled: nothing is encrypted to this key/);
    expect(kim.stderr).not.toContain(WARNING);
    expect((await ok('journalist', 'list')).stdout).toMatch(/^kim\t[0-9A-F]{40}\tdisabled, not enrolled/m);
    expect((await ok('desk', 'member', '--desk', 'news', '--username', 'bo')).stdout).toContain(PENDING);
    expect((await ok('journalist', 'rotate-key', '--username', 'jo', '--public-key', keys.jo2!)).stdout).toContain(PENDING);
    expect((await ok('journalist', 'disable', '--username', 'bo')).stdout).toContain(PENDING);
    const removed = await ok('desk', 'member', '--desk', 'news', '--username', 'jo', '--remove');
    expect(removed.stdout).toMatch(/Removed jo from desk news/);
    expect((await ok('desk', 'list')).stdout).toBe('news\tNews\t-\tnot offered: no active member with a usable key\n');

    await withStore(async (store) => {
      const ada = store.journalists.get('ada');
      const pending = store.changes.pending();
      expect(pending.map((c) => [c.kind, c.requestedBy, c.journalist])).toEqual([
        ['enable', 'cli', 'kim'],
        ['member', 'cli', 'bo'],
        ['key', 'cli', 'jo'],
        ['admin', 'cli', 'bo'],
      ]);
      expect(store.journalists.get('kim').active).toBe(false);
      expect(store.journalists.get('bo').active).toBe(true);
      expect(store.desks.members(store.desks.get('news').id)).toEqual([]);
      expect(store.audit.withPrefix('access.').at(-1)).toMatchObject({ actor: 'cli', action: 'access.member-removed', detail: { removed: [store.journalists.get('jo').fingerprint] } });
      // Any administrator confirms a CLI request on the web.
      const oldKey = store.journalists.get('jo').fingerprint;
      await store.changes.confirm(pending[2]!.id, ada.id);
      expect(store.journalists.get('jo').fingerprint).not.toBe(oldKey);
      expect(store.journalists.retiredKeys(store.journalists.get('jo').id).map((k) => k.fingerprint)).toEqual([oldKey]);
    });
  }, 60_000);

  test('enabling waits too, disabling a journalist who is not an administrator does not; a desk with conversations stays', async () => {
    expect((await ok('journalist', 'disable', '--username', 'jo')).stdout).toMatch(/Disabled jo/);
    expect((await ok('journalist', 'enable', '--username', 'jo')).stdout).toContain(PENDING);
    const sourceId = await withStore((store) => {
      const s = newSource(store);
      store.desks.setDesk(s.id, store.desks.get('news').id);
      return s.id;
    });
    const refused = await run('desk', 'remove', 'news');
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/still has conversations: move them to another desk first/);
    await withStore((store) => store.desks.setDesk(sourceId, null));
    await ok('desk', 'remove', 'news');
    expect((await ok('desk', 'list')).stdout).toMatch(/^No desks/);
    const unknown = await run('desk', 'member', '--desk', 'gone', '--username', 'jo');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/No such desk/);
  }, 60_000);
});
