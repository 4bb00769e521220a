import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, readJournalistKey, readRecipientKeyIds, SubmissionSealer, type JournalistKey } from '../../common/envelope/index.ts';
import en from '../../common/i18n/catalogs/en.json' with { type: 'json' };
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { onceIn, postForm, postSend, rawPost, BOUNDARY } from '../helpers/raw-form.ts';
import type { Desk } from '../../server/store/index.ts';
import { journalistKeyIds } from '../helpers/two-desks.ts';

// A source chooses a desk (issue 23): only that desk's keys receive what they send, with JavaScript
// (the page's API) and without (the plain form); a missing or unknown choice is refused, nothing stored.
let instance: Instance;
let ana: Awaited<ReturnType<typeof makeAccount>>;
let ben: Awaited<ReturnType<typeof makeAccount>>;
let anaKey: JournalistKey;
let benKey: JournalistKey;
let deskA: Desk;
let deskB: Desk;
let empty: Desk;
const SMALL_PART = 64 * 1024;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(SMALL_PART), SEALDROP_MAX_FILE_BYTES: String(4 * SMALL_PART) });
  ana = await makeAccount(instance, 'ana');
  ben = await makeAccount(instance, 'ben');
  anaKey = await readJournalistKey(ana.publicKey);
  benKey = await readJournalistKey(ben.publicKey);
  const { desks } = instance.store;
  deskA = desks.create('investigations', { en: { name: 'Investigations', description: 'Long projects' }, 'zh-Hans': { name: '调查部', description: '长期项目' } }, 'cli');
  deskB = desks.create('local', { en: { name: 'Local news', description: 'The city and the region' } }, 'cli');
  empty = desks.create('empty', { en: { name: 'Nobody here', description: '' } }, 'cli');
  desks.addMember(deskA.id, ana.id);
  desks.addMember(deskB.id, ben.id);
});
afterAll(() => instance?.stop());

const page = async (headers: Record<string, string> = {}) => (await fetch(`${instance.sourceUrl}/`, { headers })).text();
const counts = async () => ({ sources: instance.rows().sources!.length, submissions: instance.rows().submissions!.length, objects: (await instance.objectFiles()).length });
/** The key IDs the stored objects made since `before` are addressed to. */
async function addressedSince(before: string[]): Promise<string[][]> {
  const made = (await instance.objectFiles()).filter((f) => !before.includes(f));
  expect(made.length).toBeGreaterThan(0);
  return Promise.all(made.map(async (f) => journalistKeyIds(instance, readRecipientKeyIds(await readFile(path.join(instance.config.dataDir, 'objects', f))))));
}
const register = (desk: unknown) =>
  fetch(`${instance.sourceUrl}/api/sources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: randomBytes(32).toString('hex'), publicKey: 'x', privateKey: 'y', ...(desk === undefined ? {} : { desk }) }) });
const newestSource = () => (instance.rows().sources as { id: string; desk_id: number | null }[]).at(-1)!;

describe('the start page with two desks offered', () => {
  test('a required radio list of the offered desks, in the reader’s language, before the files, in both forms', async () => {
    const html = await page();
    expect(html).toContain('<legend>Who should read what you send?</legend>');
    expect(html).toContain(`<input type="radio" id="desk-${deskA.id}" name="desk" value="${deskA.id}" required aria-describedby="desk-${deskA.id}-about"> <label for="desk-${deskA.id}" dir="auto">Investigations</label>`);
    expect(html).toContain(`<label for="desk-${deskB.id}" dir="auto">Local news</label><span class="hint" id="desk-${deskB.id}-about" dir="auto">The city and the region</span>`);
    expect(html).not.toContain('Nobody here'); // a desk without an active member is not offered
    expect(html.indexOf(`id="desk-${deskA.id}"`)).toBeLessThan(html.indexOf('id="files"'));
    expect(html.indexOf(`id="first-desk-${deskA.id}"`)).toBeGreaterThan(html.indexOf('action="/codename"'));
    const zh = await page({ 'accept-language': 'zh-CN' });
    expect(zh).toContain('>调查部</label>');
    expect(zh).toContain('>Local news</label>'); // no Chinese text: English
  });
});

describe('with JavaScript (the API)', () => {
  test('a new source is given each desk’s keys; one with a codename, their desk’s only', async () => {
    const config = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { open: boolean; keys: string[]; desks: { id: number; keys: string[] }[] };
    expect(config.open).toBe(true);
    expect(config.keys).toEqual([]);
    expect(config.desks.map((d) => d.id)).toEqual([deskA.id, deskB.id]);
    const fingerprints = await Promise.all(config.desks.map(async (d) => Promise.all(d.keys.map(async (k) => (await readJournalistKey(k)).fingerprint))));
    expect(fingerprints).toEqual([[anaKey.fingerprint], [benKey.fingerprint]]);
  });

  test('registration without a desk, with an unknown one or one not offered: 400, nothing stored', async () => {
    const before = await counts();
    for (const [desk, code, message] of [[undefined, 'desk_missing', en['source.desk.missing']], [999, 'desk_unknown', en['source.desk.unknown']], [empty.id, 'desk_unknown', en['source.desk.unknown']], ['1; DROP', 'desk_unknown', en['source.desk.unknown']]] as const) {
      const res = await register(desk);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: message, code });
    }
    expect(await counts()).toEqual(before);
  });

  test('a source of desk B: objects sealed to A are refused, to B kept; completion re-checks the desk', async () => {
    const { token } = await registerApiSource(instance.sourceUrl, undefined, deskB.id);
    expect(newestSource().desk_id).toBe(deskB.id);
    const mine = (await (await fetch(`${instance.sourceUrl}/api/config`, { headers: { 'x-source-token': token } })).json()) as { keys: string[] };
    expect(await Promise.all(mine.keys.map(async (k) => (await readJournalistKey(k)).fingerprint))).toEqual([benKey.fingerprint]);
    const secret = randomBytes(32).toString('hex');
    const created = await fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 1, secret }) });
    const id = ((await created.json()) as { submission: string }).submission;
    const put = (what: string, body: Uint8Array, method = 'PUT') => fetch(`${instance.sourceUrl}/api/submissions/${id}/${what}`, { method, headers: { 'content-type': 'application/octet-stream', 'x-upload-secret': secret }, body: body as BodyInit });
    const toA = await put('parts/1', await encryptObject({ data: new Uint8Array(10), recipients: [anaKey.key] }));
    expect(toA.status).toBe(409);
    expect(((await toA.json()) as { code: string }).code).toBe('wrong_recipients');
    const sealer = new SubmissionSealer({ submission: id, name: 'a.txt', type: 'text/plain', recipients: [benKey.key], partSize: SMALL_PART });
    expect((await put('parts/1', (await sealer.sealEnd(new Uint8Array(5)).next()).value!)).status).toBe(204);
    expect((await put('manifest', await sealer.sealManifest())).status).toBe(204);
    // Ana joins desk B while the upload is under way: what was sealed to Ben alone no longer completes.
    instance.store.desks.addMember(deskB.id, ana.id);
    try {
      const late = await put('complete', new Uint8Array(0), 'POST');
      expect(late.status).toBe(409);
      expect(((await late.json()) as { code: string }).code).toBe('wrong_recipients');
    } finally {
      instance.store.desks.removeMember(deskB.id, ana.id, 'cli');
    }
  });
});

const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (bytes: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="a.txt"\r\nContent-Type: text/plain\r\n\r\n${bytes}\r\n`;
const postRaw = (body: string, cookie = '') => rawPost(`${instance.sourceUrl}/submit`, `${body}--${BOUNDARY}--\r\n`, `multipart/form-data; boundary=${BOUNDARY}`, cookie);

describe('without JavaScript (the form)', () => {
  test('no desk, an unknown one, or a desk after the files: 400, the form again with its radios, nothing stored', async () => {
    const before = await counts();
    const once = onceIn(await page());
    const missing = await postSend(instance.sourceUrl, { once, message: 'kept', files: [{ name: 'a.txt', bytes: 'hello' }] });
    expect(missing.status).toBe(400);
    expect(missing.html).toContain(en['source.desk.missing']);
    expect(missing.html).toContain(`id="desk-${deskB.id}" name="desk"`);
    expect(missing.html).toContain('>kept</textarea>');
    const unknown = await postRaw(`${part('desk', String(empty.id))}${part('message', 'x')}`);
    expect(unknown.status).toBe(400);
    expect(unknown.html).toContain(en['source.desk.unknown']);
    const late = await postRaw(`${file('hello')}${part('desk', String(deskB.id))}`);
    expect(late.status).toBe(400);
    expect(late.html).toContain(en['source.desk.missing']);
    expect(await counts()).toEqual(before);
  });

  test('a send refused before it is read (declared too large) comes back with the radios, desk B still chosen', async () => {
    const refused = await postRaw(`${part('desk', String(deskB.id))}${part('message', 'kept')}${file('x'.repeat(600_000))}`);
    expect(refused.status).toBe(413);
    expect(refused.html).toContain(`id="desk-${deskB.id}" name="desk" value="${deskB.id}" required aria-describedby="desk-${deskB.id}-about" checked>`);
    expect(refused.html).toContain(`id="desk-${deskA.id}" name="desk" value="${deskA.id}" required aria-describedby="desk-${deskA.id}-about">`);
  });

  test('desk B: sealed to Ben only; the same browser’s later send, whatever its form says, goes to desk B', async () => {
    const before = await instance.objectFiles();
    const sent = await postRaw(`${part('desk', String(deskB.id))}${part('message', 'for local news')}${file('hello')}`);
    expect(sent.status).toBe(200);
    expect(newestSource().desk_id).toBe(deskB.id);
    expect(new Set((await addressedSince(before)).map((ids) => ids.join()))).toEqual(new Set([benKey.recipientKeyId])); // message, file, their manifests
    // Back on the start page, logged in: their desk is shown chosen, and closed.
    const start = await (await fetch(`${instance.sourceUrl}/`, { headers: { cookie: sent.cookie } })).text();
    expect(start).toContain(`<fieldset class="desk-choice" id="desks" disabled>`);
    expect(start).toContain(en['source.desk.fixed']);
    expect(start).toContain(`value="${deskB.id}" required aria-describedby="desk-${deskB.id}-about" checked>`);
    const again = await instance.objectFiles();
    const later = await postRaw(`${part('desk', String(deskA.id))}${part('message', 'more')}`, sent.cookie);
    expect(later.status).toBe(303);
    expect(new Set((await addressedSince(again)).map((ids) => ids.join()))).toEqual(new Set([benKey.recipientKeyId]));
  });

  test('codename first: refused without a desk; with one, the conversation belongs to it', async () => {
    const before = await counts();
    const refused = await postForm(`${instance.sourceUrl}/codename`, {});
    expect(refused.status).toBe(400);
    expect(refused.html).toContain(en['source.desk.missing']);
    expect(await counts()).toEqual(before);
    expect((await postForm(`${instance.sourceUrl}/codename`, { desk: String(deskA.id) })).status).toBe(200);
    expect(newestSource().desk_id).toBe(deskA.id);
  });
});

test('a reply in a desk B conversation is sealed to the source and desk B’s keys only', async () => {
  const { token } = await registerApiSource(instance.sourceUrl, undefined, deskB.id);
  expect(token).not.toBe('');
  const source = newestSource();
  const staff = new StaffClient(instance.journalistUrl);
  await staff.login('ben', ben.passphrase, ben.code());
  const res = await staff.get(`/sources/${source.id}/keys`);
  expect(res.status).toBe(200);
  const keys = ((await res.json()) as { keys: string[] }).keys;
  expect(await Promise.all(keys.slice(1).map(async (k) => (await readJournalistKey(k)).fingerprint))).toEqual([benKey.fingerprint]);
  expect(keys).toHaveLength(2);
});

describe('with no desk, or one', () => {
  test('the page is the same; a send goes to everyone, then to the one desk', async () => {
    const solo = await startInstance();
    try {
      const j1 = await makeAccount(solo, 'one');
      await makeAccount(solo, 'two');
      const startPage = async () => (await (await fetch(`${solo.sourceUrl}/`)).text()).replace(/name="once" value="[\w-]+"/g, 'once');
      const none = await startPage();
      expect(none).not.toContain('name="desk"');
      const send = async () => {
        const before = await solo.objectFiles();
        expect((await postSend(solo.sourceUrl, { message: 'hi' })).status).toBe(200);
        const made = (await solo.objectFiles()).filter((f) => !before.includes(f));
        return Promise.all(made.map(async (f) => journalistKeyIds(solo, readRecipientKeyIds(await readFile(path.join(solo.config.dataDir, 'objects', f))))));
      };
      expect((await send()).map((ids) => ids.length)).toEqual([2, 2]); // the message and its manifest, to both
      const desk = solo.store.desks.create('only', { en: { name: 'Only desk', description: '' } }, 'cli');
      solo.store.desks.addMember(desk.id, j1.id);
      expect(await startPage()).toBe(none);
      expect(await send()).toEqual(Array(2).fill([(await readJournalistKey(j1.publicKey)).recipientKeyId]));
      expect((solo.rows().sources as { desk_id: number | null }[]).map((s) => s.desk_id)).toEqual([null, desk.id]);
      // A second desk, with nobody in it yet: the one offered is chosen, never given silently.
      solo.store.desks.create('second', { en: { name: 'Second desk', description: '' } }, 'cli');
      const asked = await startPage();
      expect(asked).toContain(`<input type="radio" id="desk-${desk.id}" name="desk" value="${desk.id}" required>`);
      const config = (await (await fetch(`${solo.sourceUrl}/api/config`)).json()) as { desks?: { id: number }[] };
      expect(config.desks?.map((d) => d.id)).toEqual([desk.id]);
      expect((await postSend(solo.sourceUrl, { message: 'hi' })).status).toBe(400);
    } finally {
      await solo.stop();
    }
  });
});
