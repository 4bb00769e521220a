import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, generateSourceKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

let instance: Instance;
let desk: Awaited<ReturnType<typeof makeAccount>>;
let staff: StaffClient;

beforeAll(async () => {
  instance = await startInstance();
  desk = await makeAccount(instance, 'desk');
  staff = new StaffClient(instance.journalistUrl);
  await staff.login('desk', desk.passphrase, desk.code());
  await staff.get('/');
});
afterAll(() => instance?.stop());

const api = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${instance.sourceUrl}/api${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
const postReply = (sourceId: string, data: Uint8Array) =>
  fetch(`${instance.journalistUrl}/sources/${sourceId}/replies`, {
    method: 'POST', headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' }, body: data as BodyInit,
  });
const sourceIds = () => (instance.rows().sources as { id: string; public_key: string }[]);

describe('registering a source', () => {
  test('refuses an unlocked private key, a mismatched one, and a malformed login secret; stores nothing', async () => {
    const before = sourceIds().length;
    const locked = await generateSourceKeyPair({ passphrase: 'p'.repeat(64) });
    const unlocked = await generateKeyPair({ name: 's' });
    const other = await generateKeyPair({ name: 'o', passphrase: 'p'.repeat(64) });
    const login = 'a'.repeat(64);
    expect((await api('/sources', { login, publicKey: unlocked.publicKey, privateKey: unlocked.privateKey })).status).toBe(400);
    expect((await api('/sources', { login, publicKey: locked.publicKey, privateKey: other.privateKey })).status).toBe(400);
    expect((await api('/sources', { login: 'short', publicKey: locked.publicKey, privateKey: locked.privateKey })).status).toBe(400);
    expect((await api('/sources', { login, publicKey: locked.publicKey, privateKey: locked.privateKey, codename: 'x' })).status).toBe(400);
    expect(sourceIds().length).toBe(before);
  });
});

describe('codename login', () => {
  const salt = async () => ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;

  test('a wrong codename is answered slowly, the same way whether or not it exists', async () => {
    const { codename } = await registerApiSource(instance.sourceUrl);
    const right = await deriveSourceSecrets(codename, await salt());
    const ok = await api('/sources/login', { login: right.loginSecret });
    expect(ok.status).toBe(200);
    expect(Object.keys((await ok.json()) as object).sort()).toEqual(['privateKey', 'replies', 'sent', 'sourceToken']);
    const wrong = await deriveSourceSecrets(generateCodename(), await salt());
    const started = Date.now();
    const res = await api('/sources/login', { login: wrong.loginSecret });
    expect(res.status).toBe(401);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    const refused = (await res.json()) as { error: string; code: string };
    expect(refused.error).toMatch(/not recognised/);
    expect(refused.code).toBe('unknown_codename');
  });

  test('a burst of wrong codenames is answered "not recognised", slowly, and holds no slot a real source needs', async () => {
    const wrong = await deriveSourceSecrets(generateCodename(), await salt());
    const statuses = await Promise.all(Array.from({ length: 10 }, () => api('/sources/login', { login: wrong.loginSecret }).then((r) => r.status)));
    expect(statuses).toEqual(Array(10).fill(401));
    const { codename } = await registerApiSource(instance.sourceUrl);
    expect((await api('/sources/login', { login: (await deriveSourceSecrets(codename, await salt())).loginSecret })).status).toBe(200);
  });

  test('registering is idempotent for a retry, and a taken secret with other keys is refused slowly', async () => {
    const locked = await generateSourceKeyPair({ passphrase: 'q'.repeat(64) });
    const other = await generateSourceKeyPair({ passphrase: 'q'.repeat(64) });
    const body = { login: 'c'.repeat(64), publicKey: locked.publicKey, privateKey: locked.privateKey };
    expect((await api('/sources', body)).status).toBe(201);
    const count = sourceIds().length;
    expect((await api('/sources', body)).status).toBe(201); // a retry after a lost response
    expect(sourceIds().length).toBe(count);
    const started = Date.now();
    const clash = await api('/sources', { ...body, publicKey: other.publicKey, privateKey: other.privateKey });
    expect(clash.status).toBe(409);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(sourceIds().length).toBe(count);
  });
});

describe('replies', () => {
  test('must be encrypted to exactly the source and the journalists; the source may delete only what it read', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const source = sourceIds().at(-1)!;
    const sourceKey = (await readJournalistKey(source.public_key)).key;
    const deskKey = (await readJournalistKey(desk.publicKey)).key;
    const sealed = (recipients: typeof sourceKey[]) => sealText({ kind: 'reply', text: 'a reply', recipients });
    expect((await postReply(source.id, await sealed([sourceKey]))).status).toBe(409); // colleagues left out
    expect((await postReply(source.id, new TextEncoder().encode('plain reply'))).status).toBe(400);
    expect(instance.rows().replies).toEqual([]);
    const res = await postReply(source.id, await sealed([sourceKey, deskKey]));
    expect(res.status).toBe(201);
    const { reply } = (await res.json()) as { reply: string };
    const asSource = { 'x-source-token': token };
    expect((await api(`/replies/${reply}/delete`, {}, asSource)).status).toBe(409); // unread
    expect((await fetch(`${instance.sourceUrl}/api/replies/${reply}`, { headers: asSource })).status).toBe(200);
    expect((await api(`/replies/${reply}/read`, {}, asSource)).status).toBe(204);
    const other = await registerApiSource(instance.sourceUrl);
    const asOther = { 'x-source-token': other.token };
    expect((await api(`/replies/${reply}/delete`, {}, asOther)).status).toBe(404); // not theirs
    expect((await api(`/replies/${reply}/read`, {}, asOther)).status).toBe(404);
    expect((await fetch(`${instance.sourceUrl}/api/replies/${reply}`, { headers: asOther })).status).toBe(404);
    expect((await api(`/replies/${reply}/delete`, {}, asSource)).status).toBe(204);
    expect(instance.rows().replies).toEqual([]);
  });

  test('a journalist can star a source', async () => {
    await registerApiSource(instance.sourceUrl);
    const source = sourceIds().at(-1)!;
    expect((await staff.post(`/sources/${source.id}/star`, { csrf: staff.csrf, starred: '1' })).status).toBe(303);
    expect((instance.rows().sources as { id: string; starred: number }[]).find((s) => s.id === source.id)!.starred).toBe(1);
  });
});

describe('a source deleted by the newsroom', () => {
  test('its session, still signed and unexpired, can no longer send: a clear 4xx on both paths, nothing stored', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const id = (instance.rows().sources as { id: string }[]).at(-1)!.id;
    await instance.store.inbox.deleteSource(id);
    const before = instance.rows().submissions!.length;
    // With the upload secret the page makes (item 6), so that the session is what is refused.
    const res = await api('/submissions', { parts: 1, secret: 'c0ffee'.repeat(10) + 'c0de' }, { 'x-source-token': token });
    expect(res.status).toBe(401);
    const refused = (await res.json()) as { error: string; code: string };
    expect(refused.error).toMatch(/no longer on the server/);
    expect(refused.code).toBe('source_gone');
    const boundary = 'deleted-source';
    const form = await fetch(`${instance.sourceUrl}/submit`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: `__Host-sealdrop-source=${token}` },
      body: `--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nstill there?\r\n--${boundary}--\r\n`,
    });
    expect(form.status).toBe(401);
    expect(await form.text()).toMatch(/no longer on the server/);
    expect(instance.rows().submissions!.length).toBe(before);
  });
});
