import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, partCountFor, readJournalistKey, readPrivateKey, readRecipientKeyIds, SubmissionSealer, unwrapSessionKey, wrapSessionKey, type JournalistKey } from '../../common/envelope/index.ts';
import { splitHeader } from '../../common/envelope/rewrap.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import en from '../../common/i18n/catalogs/en.json' with { type: 'json' };
import type { Desk, Journalist } from '../../server/store/index.ts';
import type { Plan } from '../../server/store/rewrap.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { keyFields } from '../helpers/journalists.ts';
import { until } from '../helpers/pages.ts';
import { BOUNDARY, onceIn, postForm, postSend } from '../helpers/raw-form.ts';
import { registerApiSource, SOURCE_KEY } from '../helpers/sources.ts';

// The source side after the review of issues 23 and 25: desks with none offered close the drop;
// a move during a no-JS upload refuses it; a codename holder sees neither who an item was shared
// with nor that it was; Leave forgets the page token's kept codename; a desk is in the source's row.
const PART = 64 * 1024;
let instance: Instance;
let ana: Journalist;
let ben: Journalist;
let anaKey: JournalistKey & { privateKey: string };
let deskA: Desk;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(8 * PART) });
  const a = await keyFields('ana');
  anaKey = { ...(await readJournalistKey(a.publicKey)), privateKey: a.privateKey };
  await instance.addJournalist('ana', a.publicKey);
  await instance.addJournalist('ben', (await keyFields('ben')).publicKey);
  ana = instance.store.journalists.get('ana');
  ben = instance.store.journalists.get('ben');
  deskA = instance.store.desks.create('investigations', { en: { name: 'Investigations', description: '' } }, 'cli');
  instance.store.desks.addMember(deskA.id, ana.id);
});
afterAll(() => instance?.stop());

const counts = async () => ({ sources: instance.rows().sources!.length, submissions: instance.rows().submissions!.length, objects: (await instance.objectFiles()).length });
const startPage = async () => (await fetch(`${instance.sourceUrl}/`)).text();
const codenameIn = (html: string) => /<p class="codename" id="codename"[^>]*>([^<]+)</.exec(html)?.[1];

describe('desks exist, none offered', () => {
  test('the only desk loses its member: closed everywhere (not the whole newsroom), nothing stored', async () => {
    instance.store.desks.removeMember(deskA.id, ana.id, 'cli');
    try {
      const before = await counts();
      expect(await startPage()).toContain(`<h1>${en['source.closed.heading']}</h1>`);
      const config = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { open: boolean; keys: string[] };
      expect(config).toMatchObject({ open: false, keys: [] });
      const registered = await fetch(`${instance.sourceUrl}/api/sources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: randomBytes(32).toString('hex'), publicKey: 'x', privateKey: 'y' }) });
      expect(registered.status).toBe(503);
      expect(((await registered.json()) as { code: string }).code).toBe('not_open');
      expect((await postForm(`${instance.sourceUrl}/codename`, {})).status).toBe(503);
      expect((await postSend(instance.sourceUrl, { message: 'hello', files: [{ name: 'a.txt', bytes: 'x' }] })).status).toBe(503);
      expect(await counts()).toEqual(before);
    } finally {
      instance.store.desks.addMember(deskA.id, ana.id);
    }
    expect(((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { open: boolean }).open).toBe(true);
  });
});

test('a desk chosen at registration is in the source row itself; an unknown desk stores no row', () => {
  const keys = { loginSecret: randomBytes(32).toString('hex'), publicKey: SOURCE_KEY.publicKey, privateKey: 'not read here', recipientKeyId: SOURCE_KEY.recipientKeyId };
  const { id } = instance.store.sources.create(keys, { deskId: deskA.id });
  expect(instance.store.desks.deskOf(id)).toBe(deskA.id);
  const before = instance.rows().sources!.length;
  expect(() => instance.store.sources.create({ ...keys, loginSecret: randomBytes(32).toString('hex') }, { deskId: 9999 })).toThrow(en['store.desk.none']);
  expect(instance.rows().sources!.length).toBe(before);
});

describe('what a codename holder sees of a shared item', () => {
  type Sent = { n: number; size: number };
  let codename: string;
  let sourceKeyId: string;
  let loginSecret: string;
  const login = async () => (await (await fetch(`${instance.sourceUrl}/api/sources/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: loginSecret }) })).json()) as { sourceToken: string; sent: Sent[] };

  beforeAll(async () => {
    const source = await registerApiSource(instance.sourceUrl);
    codename = source.codename;
    sourceKeyId = (await readJournalistKey(source.publicKey)).recipientKeyId;
    ({ loginSecret } = await deriveSourceSecrets(codename, instance.store.sources.kdfSalt()));
    // Sent as the page sends it since issue 25: parts to the desk, the manifest to the desk and the source.
    const data = randomBytes(PART + 5000);
    const secret = randomBytes(32).toString('hex');
    const open = await fetch(`${instance.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': source.token }, body: JSON.stringify({ parts: partCountFor(data.length, PART), secret }) });
    const id = ((await open.json()) as { submission: string }).submission;
    const put = (what: string, body: Uint8Array, method = 'PUT') => fetch(`${instance.sourceUrl}/api/submissions/${id}/${what}`, { method, headers: { 'content-type': 'application/octet-stream', 'x-upload-secret': secret }, body: body as BodyInit });
    const sealer = new SubmissionSealer({ submission: id, name: 'ledger.pdf', type: 'application/pdf', recipients: [anaKey.key], partSize: PART });
    let n = 0;
    expect((await put(`parts/${++n}`, await sealer.sealPart(data.subarray(0, PART)))).status).toBe(204);
    for await (const part of sealer.sealEnd(data.subarray(PART))) expect((await put(`parts/${++n}`, part)).status).toBe(204);
    expect((await put('manifest', await sealer.sealManifest([(await readJournalistKey(source.publicKey)).key]))).status).toBe(204);
    expect((await put('complete', new Uint8Array(0), 'POST')).status).toBe(204);
  });

  test('after Ana shares it with Ben: the same sizes at login, and the manifest names only the source’s key', async () => {
    const before = await login();
    expect(before.sent).toHaveLength(1);
    const [sourceId] = (instance.rows().sources as { id: string; designation: string }[]).filter((s) => instance.store.sources.get(s.id).recipientKeyId === sourceKeyId).map((s) => s.id);
    const [item] = instance.store.submissions.sentBy(sourceId!);
    const plan: Plan = await instance.store.rewrap.planShare(sourceId!, ana.id, [item!.id], [ben.id]);
    const privateKey = await readPrivateKey(anaKey.privateKey);
    const objects = await Promise.all(plan.objects.map(async (o) => ({ ref: o.ref, add: Buffer.from(await wrapSessionKey(await unwrapSessionKey(o.header, [privateKey]), o.add.map((k) => plan.keys.get(k)!))).toString('base64') })));
    await instance.store.rewrap.apply(plan, objects, () => undefined);
    const stored = await readFile(path.join(instance.config.dataDir, 'objects', instance.store.submissions.sentBy(sourceId!)[0]!.manifest));
    expect(readRecipientKeyIds(stored)).toHaveLength(3); // Ana, Ben and the source: the share happened

    const after = await login();
    expect(after.sent).toEqual(before.sent);
    const manifest = new Uint8Array(await (await fetch(`${instance.sourceUrl}/api/sent/1/manifest`, { headers: { 'x-source-token': after.sourceToken } })).arrayBuffer());
    expect(readRecipientKeyIds(manifest)).toEqual([sourceKeyId]);
    expect(Buffer.from(manifest.subarray(splitHeader(manifest).sealedAt))).toEqual(stored.subarray(splitHeader(stored).sealedAt));
  });
});

test('Leave with the page’s token (no cookie) forgets the codename page kept for a repeat of its form', async () => {
  const once = onceIn(await startPage());
  const first = await postForm(`${instance.sourceUrl}/codename`, { once });
  expect(first.status).toBe(200);
  const codename = codenameIn(first.html);
  expect(codename).toBeDefined();
  expect((await postForm(`${instance.sourceUrl}/leave`, { token: first.cookie.split('=')[1]! })).status).toBe(200);
  const repeat = await postForm(`${instance.sourceUrl}/codename`, { once });
  expect(repeat.status).toBe(200);
  expect(codenameIn(repeat.html)).not.toBe(codename);
});

test('codename first, the connection gone while its key pair is made: no source is kept', async () => {
  const before = instance.rows().sources!.length;
  // The key pairs are made one at a time, in order: A starts when C's is done, and B's answer comes after A's end.
  const first = postForm(`${instance.sourceUrl}/codename`, {});
  const gone = http.request(`${instance.sourceUrl}/codename`, { method: 'POST', agent: false, headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': 0 } });
  gone.on('error', () => undefined);
  gone.end();
  expect((await first).status).toBe(200);
  gone.destroy(); // A is being made now
  expect((await postForm(`${instance.sourceUrl}/codename`, {})).status).toBe(200);
  expect(instance.rows().sources!.length).toBe(before + 2);
});

test('a bodiless state change that declares a body it never sends changes nothing (marking a reply read)', async () => {
  const source = await registerApiSource(instance.sourceUrl);
  const sourceId = (instance.rows().sources as { id: string }[]).at(-1)!.id;
  const keys = [(await readJournalistKey(source.publicKey)).key, anaKey.key];
  const reply = await instance.store.replies.add(sourceId, await encryptObject({ data: new Uint8Array(10), recipients: keys }), null, [], deskA.id);
  const lie = (declared: number) => new Promise<void>((resolve) => {
    const socket = net.connect(Number(new URL(instance.sourceUrl).port), '127.0.0.1');
    socket.on('error', () => undefined).on('close', () => resolve()).resume();
    socket.end(`POST /api/replies/${reply}/read HTTP/1.1\r\nHost: 127.0.0.1\r\nx-source-token: ${source.token}\r\nContent-Length: ${declared}\r\n\r\n`);
  });
  await lie(30);
  // A later request's answer: the lying one's handler, had it run, ran when its headers arrived.
  expect((await fetch(`${instance.sourceUrl}/api/config`)).status).toBe(200);
  expect(instance.store.replies.list(sourceId)[0]!.read).toBe(false);
  const whole = await fetch(`${instance.sourceUrl}/api/replies/${reply}/read`, { method: 'POST', headers: { 'x-source-token': source.token } });
  expect(whole.status).toBe(204);
  expect(instance.store.replies.list(sourceId)[0]!.read).toBe(true);
});

test('a no-JS send whose conversation moves to another desk (same keys) while it uploads: refused, nothing stored', async () => {
  const sent = await postSend(instance.sourceUrl, { once: onceIn(await startPage()), message: 'first', files: [{ name: 'a.txt', bytes: 'one' }] });
  expect(sent.status).toBe(200);
  const sourceId = (instance.rows().sources as { id: string; desk_id: number | null }[]).at(-1)!.id;
  expect(instance.store.desks.deskOf(sourceId)).toBe(deskA.id);
  const deskB = instance.store.desks.create('local', { en: { name: 'Local', description: '' } }, 'cli');
  instance.store.desks.addMember(deskB.id, ana.id); // the same keys as desk A: only the desk differs
  const before = await counts();
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="b.txt"\r\nContent-Type: text/plain\r\n\r\n`;
  const tail = `\r\n--${BOUNDARY}--\r\n`;
  const body = Buffer.from(head + 'x'.repeat(2 * PART) + tail);
  const answer = new Promise<{ status: number; html: string }>((resolve, reject) => {
    const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', agent: false, headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}`, 'content-length': body.length, cookie: sent.cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, html: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.write(body.subarray(0, head.length + PART + 10));
    // Once the upload is being stored, the move is confirmed; then the rest arrives.
    void until(async () => instance.rows().submissions!.some((s) => (s as { state: string }).state === 'pending'), 10_000, 'the upload under way').then(() => {
      instance.store.desks.setDesk(sourceId, deskB.id);
      req.end(body.subarray(head.length + PART + 10));
    }, reject);
  });
  const refused = await answer;
  expect(refused.status).toBe(409);
  expect(refused.html).toContain('Reload the page and send again');
  expect(await until(async () => JSON.stringify(await counts()) === JSON.stringify(before), 10_000, 'nothing kept').then(() => counts())).toEqual(before);
});
