import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey, readPrivateKey, splitHeader } from '../../common/envelope/index.ts';
import { sentItems } from '../../server/sources/sent-items.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { rewrapThrough, storeItem } from '../helpers/rewrap.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// A source's "What you sent" sizes read only the first and the last part's header of each item
// (review of issue 25): they must equal the bulk summed over every part, read whole, as before.
let instance: Instance;
afterAll(() => instance?.stop());
beforeAll(async () => {
  instance = await startInstance();
}, 60_000);

/** The old computation: every part read whole, each one's session key packets taken off. */
async function bulkOfEveryPart(id: string): Promise<number> {
  const { parts } = instance.store.submissions.objects(id);
  let sum = 0;
  for (const p of parts) {
    const data = await instance.store.blobs.read(p);
    sum += data.length - splitHeader(data).sealedAt;
  }
  return sum;
}

test('sizes of multi-part items equal the bulk of every part, before and after a re-wrap adds a key', async () => {
  const alice = await makeAccount(instance, 'alice');
  await makeAccount(instance, 'bob');
  const client = new StaffClient(instance.journalistUrl);
  expect((await client.login('alice', alice.passphrase, alice.code(0))).status).toBe(303);
  await client.get('/');
  const a = await readJournalistKey(alice.publicKey);
  const sourceId = newSource(instance.store).id;
  // Five parts with a short last one, one part alone, and a last part that is full.
  const ids = [];
  for (const length of [70_000, 9_000, 32 * 1024]) ids.push(await storeItem(instance.store, sourceId, randomBytes(length), [{ key: a.key, fingerprint: a.fingerprint }]));
  expect(instance.store.submissions.objects(ids[0]!).parts.length).toBe(5);
  const before = await Promise.all(ids.map(bulkOfEveryPart));
  expect((await sentItems(instance.store, sourceId)).map((s) => s.size)).toEqual(before);

  const shared = await rewrapThrough(client, `/conversations/${sourceId}/share`, { items: [ids[0]], to: { username: 'bob' } }, [await readPrivateKey(alice.privateKey)]);
  expect(shared.status).toBe(200);
  // The stored parts grew by bob's packets; the sizes shown did not change.
  expect(instance.store.submissions.sentBy(sourceId)[0]!.size).toBeGreaterThan(instance.store.submissions.sentBy(sourceId)[1]!.size + 4 * 1024);
  expect(await Promise.all(ids.map(bulkOfEveryPart))).toEqual(before);
  expect((await sentItems(instance.store, sourceId)).map((s) => s.size)).toEqual(before);
}, 60_000);

test('a second listing of the same items reads no object file; the sizes are the same', async () => {
  const j = await makeAccount(instance, 'carol');
  const k = await readJournalistKey(j.publicKey);
  const sourceId = newSource(instance.store).id;
  for (const length of [70_000, 9_000]) await storeItem(instance.store, sourceId, randomBytes(length), [{ key: k.key, fingerprint: k.fingerprint }]);
  const first = await sentItems(instance.store, sourceId);
  const blobs = instance.store.blobs;
  const readPrefix = blobs.readPrefix;
  let reads = 0;
  blobs.readPrefix = (name, length) => (reads++, readPrefix.call(blobs, name, length));
  try {
    expect(await sentItems(instance.store, sourceId)).toEqual(first);
  } finally {
    blobs.readPrefix = readPrefix;
  }
  expect(reads).toBe(0);
}, 60_000);
