import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { SourcePage, UnexpectedAnswer } from './crash-clients.ts';

// Key rotation (docs/operations.md): an administrator replaces a journalist's key; new
// submissions must go to the new key, and what was sent before stays readable with the old one.
const PART = 64 * 1024;
let instance: Instance;
let staff: StaffClient;
let page: SourcePage;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART) });
  const admin = await makeAccount(instance, 'ana', { isAdmin: true });
  staff = new StaffClient(instance.journalistUrl);
  await staff.login('ana', admin.passphrase, admin.code());
  await staff.get('/admin');
  const salt = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  page = new SourcePage(instance.sourceUrl, (await deriveSourceSecrets((await registerApiSource(instance.sourceUrl)).codename, salt)).loginSecret);
  await page.login();
});
afterAll(() => instance?.stop());

async function opens(id: string, key: PrivateKey): Promise<Buffer> {
  const objects = instance.store.submissions.objects(id);
  const manifest = await openManifest({ data: await instance.store.blobs.read(objects.manifest), keys: [key] });
  const chunks: Uint8Array[] = [];
  await openSubmission({ manifest, keys: [key], readPart: (n) => instance.store.blobs.read(objects.parts[n - 1]!), write: async (b) => void chunks.push(b) });
  return Buffer.concat(chunks);
}

test('after a key is replaced, new submissions go to the new key only; old ones still open with the old key', async () => {
  const old = await generateKeyPair({ name: 'Jo old' });
  const jo = await makeAccount(instance, 'jo', { publicKey: old.publicKey });
  const anaKey = (await readJournalistKey(instance.store.journalists.list().find((j) => j.username === 'ana')!.publicKey)).key;
  const before = { name: 'before.bin', plaintext: randomBytes(150_000) };
  const sentBefore = await page.reserve(before, PART, [anaKey, (await readJournalistKey(old.publicKey)).key]);
  await page.send(sentBefore);

  const next = await generateKeyPair({ name: 'Jo new' });
  expect((await staff.post(`/admin/journalists/${jo.id}/key`, { csrf: staff.csrf, public_key: next.publicKey })).status).toBe(303);
  const config = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { keys: string[] };
  const fingerprints = await Promise.all(config.keys.map(async (k) => (await readJournalistKey(k)).fingerprint));
  expect(fingerprints).toContain((await readJournalistKey(next.publicKey)).fingerprint);
  expect(fingerprints).not.toContain((await readJournalistKey(old.publicKey)).fingerprint);

  // A page still holding the old key is refused, and nothing of it is kept.
  const stale = await page.reserve({ name: 'stale.bin', plaintext: randomBytes(1000) }, PART, [anaKey, (await readJournalistKey(old.publicKey)).key]);
  await expect(page.send(stale)).rejects.toThrow(UnexpectedAnswer);
  const after = { name: 'after.bin', plaintext: randomBytes(150_000) };
  const sentAfter = await page.reserve(after, PART, [anaKey, (await readJournalistKey(next.publicKey)).key]);
  await page.send(sentAfter);

  const [oldKey, newKey] = [await readPrivateKey(old.privateKey), await readPrivateKey(next.privateKey)];
  expect((await opens(sentBefore.submission!, oldKey)).equals(before.plaintext)).toBe(true);
  expect((await opens(sentAfter.submission!, newKey)).equals(after.plaintext)).toBe(true);
  await expect(opens(sentBefore.submission!, newKey)).rejects.toThrow();
  await expect(opens(sentAfter.submission!, oldKey)).rejects.toThrow();
  expect(instance.store.submissions.listComplete().map((s) => s.id).sort()).toEqual([sentBefore.submission!, sentAfter.submission!].sort());
});
