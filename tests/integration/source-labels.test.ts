import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, openText, readJournalistKey, readPrivateKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// Journalists' bookkeeping per source: a label only their keys open (the server refuses anything
// else), and conversations marked done, which sort after the open ones.
let instance: Instance;
let staff: StaffClient;
let desk: Awaited<ReturnType<typeof makeAccount>>;
const sources: string[] = [];

beforeAll(async () => {
  instance = await startInstance();
  desk = await makeAccount(instance, 'desk');
  for (const n of [1, 2]) {
    const s = newSource(instance.store);
    const id = instance.store.submissions.create(s.id, 1);
    await instance.store.submissions.putPart(id, 1, new Uint8Array([n]));
    await instance.store.submissions.putManifest(id, new Uint8Array([n]));
    instance.store.submissions.complete(id);
    sources.push(s.id);
  }
  staff = new StaffClient(instance.journalistUrl);
  await staff.login('desk', desk.passphrase, desk.code());
  await staff.get('/');
});
afterAll(() => instance?.stop());

const postLabel = (sourceId: string, body: Uint8Array) =>
  fetch(`${instance.journalistUrl}/sources/${sourceId}/label`, {
    method: 'POST', headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' }, body: body as BodyInit,
  });
const labelOf = (id: string) => (instance.rows().sources as { id: string; label: string | null }[]).find((s) => s.id === id)!.label;

test('a label must be ciphertext to exactly the journalists\' keys; it is stored as such and opens with a journalist\'s key', async () => {
  const [first] = sources as [string];
  expect((await postLabel(first, new TextEncoder().encode('the ministry driver'))).status).toBe(400);
  const stranger = (await readJournalistKey((await generateKeyPair({ name: 'Stranger' })).publicKey)).key;
  expect((await postLabel(first, await sealText({ kind: 'label', text: 'x', recipients: [stranger] }))).status).toBe(409);
  expect(labelOf(first)).toBeNull(); // refused: nothing changed
  const deskKey = (await readJournalistKey(desk.publicKey)).key;
  const ciphertext = await sealText({ kind: 'label', text: 'the ministry driver', recipients: [deskKey] });
  expect((await postLabel(first, ciphertext)).status).toBe(204);
  const stored = labelOf(first)!;
  expect(Buffer.from(stored, 'base64').equals(Buffer.from(ciphertext))).toBe(true);
  expect(JSON.stringify(instance.rows())).not.toContain('ministry driver');
  // The list's line and the conversation's header carry it, for the page to decrypt.
  expect(await (await staff.get('/')).text()).toContain(`data-source="${first}" data-label="${stored}"`);
  expect(await (await staff.get(`/conversations/${first}`)).text()).toContain(`data-source="${first}" data-label="${stored}"`);
  expect(await openText({ data: Buffer.from(stored, 'base64'), keys: [await readPrivateKey(desk.privateKey)] })).toBe('the ministry driver');
  expect((await postLabel(first, new Uint8Array(0))).status).toBe(204); // empty: cleared
  expect(labelOf(first)).toBeNull();
});

test('a conversation marked done sorts after the open ones and can be reopened', async () => {
  const [first, second] = sources as [string, string];
  const order = async () => [...(await (await staff.get('/')).text()).matchAll(/<li class="conversation(?: unread)?( is-done)?" data-source="([0-9a-f]{32})"/g)].map((m) => `${m[2]}${m[1] ? ' done' : ''}`);
  const before = await order();
  const top = before[0]!;
  expect((await staff.post(`/sources/${top}/done`, { csrf: staff.csrf, done: '1' })).status).toBe(303);
  expect(await order()).toEqual([before[1]!, `${top} done`]);
  expect((await staff.post(`/sources/${top}/done`, { csrf: staff.csrf, done: '0' })).status).toBe(303);
  expect((await order()).sort()).toEqual([first, second].sort());
  expect((await staff.post(`/sources/${'0'.repeat(32)}/done`, { csrf: staff.csrf, done: '1' })).status).toBe(404);
});
