import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partCountFor, readJournalistKey, sealFile, SubmissionSealer, type JournalistKey } from '../../common/envelope/index.ts';
import { assertStillAddressed, type RecipientSet } from '../../server/recipients.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// Completing an upload records the fingerprints of the keys it checked the objects against
// (final review, issue 25): assertStillAddressed returns that set, so the route records it rather
// than the answer of a later read made after an await.
let instance: Instance;
beforeAll(async () => void (instance = await startInstance()), 60_000);
afterAll(() => instance?.stop());

test('assertStillAddressed returns the recipient set the stored objects were checked against', async () => {
  const ana: JournalistKey = await readJournalistKey((await makeAccount(instance, 'ana')).publicKey);
  const data = randomBytes(40_000);
  const partSize = 16 * 1024;
  const id = instance.store.submissions.create(newSource(instance.store).id, partCountFor(data.length, partSize));
  const sealer = new SubmissionSealer({ submission: id, name: 'a.bin', type: 'application/octet-stream', recipients: [ana.key], partSize });
  let n = 0;
  for await (const part of sealFile(sealer, data.length, async (s, e) => data.subarray(s, e))) await instance.store.submissions.putPart(id, ++n, part);
  await instance.store.submissions.putManifest(id, await sealer.sealManifest());
  const set: RecipientSet = { keys: [ana], keyIds: [ana.recipientKeyId], armored: [ana.armored] };
  const checked = await assertStillAddressed(instance.store, id, async () => set);
  expect(checked?.keys.map((k) => k.fingerprint)).toEqual([ana.fingerprint]);
});
