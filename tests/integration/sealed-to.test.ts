import Database from 'better-sqlite3';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { hashPassphrase } from '../../server/auth/passwords.ts';
import { currentStep, newTotpSecret, totpCode } from '../../server/auth/totp.ts';
import { openStore } from '../../server/store/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { StaffClient } from '../helpers/staff-client.ts';

// Which keys each item and reply is sealed to (issue 23): written when a submission completes (the
// JavaScript API and the no-JS form) and when a reply is stored; for rows made before schema 9,
// read from the objects' headers when the store opens. The fixture (tests/fixtures/sealed-to-v8)
// was written by the schema-8 store of f2707dd with real OpenPGP objects: an item sealed to ana and
// ben, one to ana and carl (removed since: a key nobody has), and a reply to the source, ana and ben.
const FIXTURE = path.resolve('tests/fixtures/sealed-to-v8');
type Facts = { source: string; toAnaBen: string; toAnaCarl: string; reply: string; people: Record<'ana' | 'ben' | 'carl', { fingerprint: string; recipientKeyId: string }> };
const facts = JSON.parse(readFileSync(path.join(FIXTURE, 'expected.json'), 'utf8')) as Facts;
const { ana, ben, carl } = facts.people;
const PART = 64 * 1024;
let instance: Instance;

/** The rows as the database holds them: each submission's fingerprints (sorted), each reply's sealed_to. */
function sealedRows(dataDir: string): { items: Record<string, string[]>; replies: Record<string, string[] | null> } {
  const db = new Database(path.join(dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    const items: Record<string, string[]> = {};
    for (const r of db.prepare('SELECT submission_id AS id, fingerprint FROM submission_keys ORDER BY fingerprint').all() as { id: string; fingerprint: string }[]) (items[r.id] ??= []).push(r.fingerprint);
    const replies = Object.fromEntries((db.prepare('SELECT id, sealed_to FROM replies').all() as { id: string; sealed_to: string | null }[]).map((r) => [r.id, r.sealed_to === null ? null : (JSON.parse(r.sealed_to) as string[])]));
    return { items, replies };
  } finally {
    db.close();
  }
}

const copyFixture = (into: string) => cpSync(FIXTURE, into, { recursive: true, filter: (f) => !f.endsWith('.json') && !f.endsWith('.txt') });

/** Logs a fixture journalist in (the schema-8 fixture's accounts have no passphrase yet). */
async function logIn(username: string): Promise<StaffClient> {
  const id = instance.store.journalists.get(username).id;
  const secret = newTotpSecret();
  instance.store.journalists.setCredentials(id, { passwordHash: await hashPassphrase('seven quiet harbours at dawn'), totpSecret: secret });
  const client = new StaffClient(instance.journalistUrl);
  expect((await client.login(username, 'seven quiet harbours at dawn', totpCode(secret, currentStep()))).status).toBe(303);
  await client.get('/');
  return client;
}

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART) }, {}, copyFixture);
});
afterAll(() => instance?.stop());

describe('rows made before schema 9', () => {
  test('are filled from the objects\' headers when the store opens: fingerprints, "unknown:<keyid>", "source"', () => {
    const rows = sealedRows(instance.config.dataDir);
    expect(rows.items[facts.toAnaBen]).toEqual([ana.fingerprint, ben.fingerprint].sort());
    expect(rows.items[facts.toAnaCarl]).toEqual([ana.fingerprint, `unknown:${carl.recipientKeyId}`].sort());
    expect(rows.replies[facts.reply]).toEqual(['source', ana.fingerprint, ben.fingerprint]);
  });

  test('the conversation page names who can open each: your key, a colleague\'s, a former colleague\'s, the source', async () => {
    const page = await (await (await logIn('ana')).get(`/conversations/${facts.source}`)).text();
    const lineOf = (id: string) => new RegExp(`data-(?:submission|reply)="${id}"[^]*?<p class="sealed-to">([^]*?)</p>`).exec(page)![1]!;
    const short = (fp: string) => `${fp.slice(-8, -4)} ${fp.slice(-4)}`;
    expect(lineOf(facts.toAnaBen)).toBe(`Who can open it: <span>your key</span>, <span>ben&#39;s key ${short(ben.fingerprint)}</span>`);
    expect(lineOf(facts.toAnaCarl)).toBe('Who can open it: <span>your key</span>, <span>a former colleague&#39;s key</span>');
    expect(lineOf(facts.reply)).toBe(`Who can open it: <span>the source</span>, <span>your key</span>, <span>ben&#39;s key ${short(ben.fingerprint)}</span>`);
  });

  test('a retired key is still named (the old key, for its owner); an unreadable object is left for a later open; filled rows stay as they are', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sealdrop-sealed-'));
    try {
      copyFixture(dir);
      const store = openStore(dir);
      const benId = store.journalists.get('ben').id;
      const next = await readJournalistKey((await generateKeyPair({ name: 'ben' })).publicKey);
      store.journalists.rotateKey(benId, { fingerprint: next.fingerprint, recipientKeyId: next.recipientKeyId, publicKey: next.armored });
      expect(store.access.describe(benId, [ben.fingerprint, ana.fingerprint])).toEqual([{ kind: 'mine-old', fingerprint: ben.fingerprint }, { kind: 'colleague', username: 'ana', fingerprint: ana.fingerprint }]);
      store.close();
      // As if made before schema 9 again, with one item's manifest no longer an OpenPGP message.
      const db = new Database(path.join(dir, 'sealdrop.sqlite'));
      const manifest = (db.prepare('SELECT manifest_blob FROM submissions WHERE id = ?').pluck().get(facts.toAnaCarl)) as string;
      db.prepare('DELETE FROM submission_keys').run();
      db.prepare('UPDATE replies SET sealed_to = NULL').run();
      db.close();
      writeFileSync(path.join(dir, 'objects', manifest), 'not a message');
      openStore(dir).close();
      // Ben's old key is still known (retired_keys): what is sealed to it is named by its fingerprint.
      const after = sealedRows(dir);
      expect(after.items[facts.toAnaBen]).toEqual([ana.fingerprint, ben.fingerprint].sort());
      expect(after.replies[facts.reply]).toEqual(['source', ana.fingerprint, ben.fingerprint]);
      expect(after.items[facts.toAnaCarl]).toBeUndefined();
      openStore(dir).close();
      expect(sealedRows(dir)).toEqual(after);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('rows made now', () => {
  const keys = async (): Promise<{ fingerprints: string[]; keys: PublicKey[] }> => {
    const active = instance.store.journalists.active();
    return { fingerprints: active.map((j) => j.fingerprint).sort(), keys: await Promise.all(active.map(async (j) => (await readJournalistKey(j.publicKey)).key)) };
  };

  test('a submission completed through the JavaScript API records the keys it is sealed to', async () => {
    const { token } = await registerApiSource(instance.sourceUrl);
    const secret = randomBytes(32).toString('hex');
    const api = (p: string, init: RequestInit) => fetch(`${instance.sourceUrl}/api${p}`, { ...init, headers: { ...(init.headers as Record<string, string>), 'x-upload-secret': secret } });
    const created = await api('/submissions', { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts: 1, secret }) });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { submission: string }).submission;
    const want = await keys();
    const sealer = new SubmissionSealer({ submission: id, name: 'a.txt', type: 'text/plain', recipients: want.keys, partSize: PART });
    const octets = (body: Uint8Array): RequestInit => ({ method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
    const end = sealer.sealEnd(new Uint8Array(5));
    expect((await api(`/submissions/${id}/parts/1`, octets((await end.next()).value!))).status).toBe(204);
    expect((await api(`/submissions/${id}/manifest`, octets(await sealer.sealManifest()))).status).toBe(204);
    expect(sealedRows(instance.config.dataDir).items[id]).toBeUndefined();
    expect((await api(`/submissions/${id}/complete`, { method: 'POST' })).status).toBe(204);
    expect(sealedRows(instance.config.dataDir).items[id]).toEqual(want.fingerprints);
  });

  test('a send without JavaScript records them for each of its submissions', async () => {
    const boundary = 'sealed-to-boundary';
    const field = (name: string, value: string, file = '') =>
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"${file ? `; filename="${file}"` : ''}\r\n\r\n${value}\r\n`);
    const before = Object.keys(sealedRows(instance.config.dataDir).items);
    const body = Buffer.concat([field('files', 'some bytes', 'a.txt'), field('message', 'Page 4.'), Buffer.from(`--${boundary}--\r\n`)]);
    const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body: body as BodyInit });
    expect(res.status).toBe(200);
    const added = Object.entries(sealedRows(instance.config.dataDir).items).filter(([id]) => !before.includes(id));
    expect(added.length).toBe(2);
    const want = (await keys()).fingerprints;
    for (const [, fps] of added) expect(fps).toEqual(want);
  });

  test('a reply records the source and the keys it was checked against', async () => {
    const client = await logIn('ben');
    const armored = ((await (await client.get(`/sources/${facts.source}/keys`)).json()) as { keys: string[] }).keys;
    const recipients = await Promise.all(armored.map(async (k) => (await readJournalistKey(k)).key));
    const res = await fetch(`${instance.journalistUrl}/sources/${facts.source}/replies`, {
      method: 'POST',
      headers: { cookie: client.cookie, 'x-csrf-token': client.csrf, 'sec-fetch-site': 'same-origin', 'content-type': 'application/octet-stream' },
      body: (await sealText({ kind: 'reply', text: 'Thank you.', recipients })) as BodyInit,
    });
    expect(res.status).toBe(201);
    const id = ((await res.json()) as { reply: string }).reply;
    expect(sealedRows(instance.config.dataDir).replies[id]).toEqual(['source', ...instance.store.journalists.active().map((j) => j.fingerprint)]);
  });
});
