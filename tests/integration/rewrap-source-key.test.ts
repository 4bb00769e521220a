import { expect, test } from 'vitest';
import {
  checkSourceKeyPair, decryptObject, encryptObject, generateKeyPair, generateSourceKeyPair, readJournalistKey, readPrivateKey, SubmissionSealer, sealFile, type PrivateKey,
} from '../../common/envelope/index.ts';
import { wrapPlan, type PlanAnswer } from '../helpers/rewrap.ts';
import { tempStore } from '../helpers/temp-store.ts';

// A move keeps the source's own PKESK (review of issue 23): the source reads the replies it was
// sent and the names of what it sent (manifests) after its conversation changes desk, as before.
const store = tempStore('rewrap-source-');

async function journalist(username: string): Promise<{ id: number; key: Awaited<ReturnType<typeof readJournalistKey>>; private: PrivateKey }> {
  const pair = await generateKeyPair({ name: username });
  const key = await readJournalistKey(pair.publicKey);
  const j = store.journalists.add({ fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, username, isAdmin: false });
  return { id: j.id, key, private: await readPrivateKey(pair.privateKey) };
}

test('after a move, the source\'s key still opens its reply and its item\'s manifest; the new desk opens them too', async () => {
  const [ada, jo] = [await journalist('ada'), await journalist('jo')];
  const a = store.desks.create('a', {}, 'cli');
  const b = store.desks.create('b', {}, 'cli');
  store.desks.addMember(a.id, ada.id);
  store.desks.addMember(b.id, jo.id);
  const pair = await generateSourceKeyPair({ passphrase: 'source passphrase' });
  const checked = await checkSourceKeyPair(pair.publicKey, pair.privateKey);
  const src = store.sources.create({ loginSecret: 'x'.repeat(64), publicKey: checked.publicKey, privateKey: checked.privateKey, recipientKeyId: checked.recipientKeyId }, { deskId: a.id });
  const sourcePrivate = await readPrivateKey(pair.privateKey, 'source passphrase');
  const sourcePublic = sourcePrivate.toPublic();

  const reply = await store.replies.add(src.id, await encryptObject({ data: new TextEncoder().encode('thank you'), recipients: [sourcePublic, ada.key.key] }), ada.id, ['source', ada.key.fingerprint], a.id);
  const item = store.submissions.create(src.id, 1);
  const sealer = new SubmissionSealer({ submission: item, name: 'memo.txt', type: 'text/plain', recipients: [ada.key.key], partSize: 16 * 1024 });
  const data = new Uint8Array(1000);
  for await (const part of sealFile(sealer, data.length, async (s, e) => data.subarray(s, e))) await store.submissions.putPart(item, 1, part);
  await store.submissions.putManifest(item, await sealer.sealManifest([sourcePublic]));
  store.submissions.complete(item, [ada.key.fingerprint]);

  const plan = await store.rewrap.planMove(src.id, b.id, ada.id);
  const answer: PlanAnswer = { objects: plan.objects.map((o) => ({ ref: o.ref, header: Buffer.from(o.header).toString('base64'), add: o.add })), keys: Object.fromEntries(plan.keys) };
  await store.rewrap.apply(plan, await wrapPlan(answer, [ada.private]), () => store.desks.setDesk(src.id, b.id));

  const replyBytes = await store.blobs.read(store.replies.blobById(reply));
  const manifest = await store.blobs.read(store.submissions.objects(item).manifest);
  for (const o of [replyBytes, manifest]) {
    await expect(decryptObject({ data: o, keys: [sourcePrivate] })).resolves.toBeDefined();
    await expect(decryptObject({ data: o, keys: [jo.private] })).resolves.toBeDefined();
    await expect(decryptObject({ data: o, keys: [ada.private] })).rejects.toThrow();
  }
});
