import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Desks on the journalist side (issue 23): a journalist of another desk asking for anything of a
// conversation (its page, list line, label, keys, items, replies, read marks, star, done, deletes,
// bulk actions) gets exactly the answer an unknown id gets: the same status, the same page. A
// journalist shown one shared item (sealed to one of their keys) sees that conversation with that
// item only; a conversation of no desk is everyone's.
let instance: Instance;
type Who = 'anna' | 'ben' | 'carl';
const staff = {} as Record<Who, StaffClient>;
const fp = {} as Record<Who, string>;
// Anna is on desk "investigations", Ben on desk "sports", Carl on none.
let desked: { id: string; designation: string; items: string[]; reply: string };
let open: { id: string; item: string };

function sql(run: (db: Database.Database) => void): void {
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
  try {
    run(db);
  } finally {
    db.close();
  }
}

async function item(source: string, sealedTo: string[]): Promise<string> {
  const id = instance.store.submissions.create(source, 1);
  await instance.store.submissions.putPart(id, 1, new Uint8Array(4096));
  await instance.store.submissions.putManifest(id, new Uint8Array(600));
  instance.store.submissions.complete(id, sealedTo);
  return id;
}

beforeAll(async () => {
  instance = await startInstance();
  const accounts = { anna: await makeAccount(instance, 'anna'), ben: await makeAccount(instance, 'ben'), carl: await makeAccount(instance, 'carl') };
  for (const who of ['anna', 'ben', 'carl'] as const) {
    fp[who] = accounts[who].fingerprint;
    staff[who] = new StaffClient(instance.journalistUrl);
    await staff[who].login(who, accounts[who].passphrase, accounts[who].code());
    await staff[who].get('/');
  }
  const s = newSource(instance.store);
  const items = [await item(s.id, [fp.anna]), await item(s.id, [fp.anna, fp.carl])];
  const reply = await instance.store.replies.add(s.id, new Uint8Array(500), accounts.anna.id, ['source', fp.anna]);
  desked = { id: s.id, designation: s.designation, items, reply };
  const o = newSource(instance.store);
  open = { id: o.id, item: await item(o.id, [fp.anna, fp.ben, fp.carl]) };
  sql((db) => {
    db.prepare("INSERT INTO desks (id, name, created_day) VALUES (1, 'investigations', '2026-12-01'), (2, 'sports', '2026-12-01')").run();
    db.prepare('INSERT INTO desk_members (desk_id, journalist_id) VALUES (1, ?), (2, ?)').run(accounts.anna.id, accounts.ben.id);
    db.prepare('UPDATE sources SET desk_id = 1, label = ? WHERE id = ?').run(Buffer.from('label ciphertext').toString('base64'), s.id);
  });
});
afterAll(() => instance?.stop());

type Ask = (who: Who, ids: { source: string; item: string; reply: string }) => Promise<Response>;

function send(who: Who, method: string, url: string, body?: string | Uint8Array, type?: string): Promise<Response> {
  const headers: Record<string, string> = { cookie: staff[who].cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': staff[who].csrf, ...(type ? { 'content-type': type } : {}) };
  return fetch(`${instance.journalistUrl}${url}`, { method, headers, body: body as BodyInit | undefined, redirect: 'manual' });
}
const get = (who: Who, url: string) => send(who, 'GET', url);
const form = (who: Who, url: string, fields: Record<string, string>) => staff[who].post(url, { csrf: staff[who].csrf, ...fields });
const octets = (who: Who, url: string) => send(who, 'POST', url, new Uint8Array(512), 'application/octet-stream');

// Every journalist route of server/routes/journalist/ that names a source, an item or a reply (the
// others name only the journalist themselves, colleagues, desks, changes or the audit log).
const ROUTES: [string, Ask][] = [
  ['GET /conversations/:id', (w, i) => get(w, `/conversations/${i.source}`)],
  ['GET /sources/:id/keys', (w, i) => get(w, `/sources/${i.source}/keys`)],
  ['POST /sources/:id/label', (w, i) => octets(w, `/sources/${i.source}/label`)],
  ['POST /sources/:id/label (clear)', (w, i) => send(w, 'POST', `/sources/${i.source}/label`, new Uint8Array(0), 'application/octet-stream')],
  ['POST /sources/:id/replies', (w, i) => octets(w, `/sources/${i.source}/replies`)],
  ['POST /sources/:id/star', (w, i) => form(w, `/sources/${i.source}/star`, { starred: '1' })],
  ['POST /sources/:id/done', (w, i) => form(w, `/sources/${i.source}/done`, { done: '1' })],
  ['GET /sources/:id/delete', (w, i) => get(w, `/sources/${i.source}/delete`)],
  ['POST /sources/:id/delete', (w, i) => form(w, `/sources/${i.source}/delete`, {})],
  ['POST /conversations/bulk star', (w, i) => form(w, '/conversations/bulk', { action: 'star', ids: i.source })],
  ['POST /conversations/bulk read', (w, i) => form(w, '/conversations/bulk', { action: 'read', ids: i.source })],
  ['POST /conversations/bulk delete', (w, i) => form(w, '/conversations/bulk', { action: 'delete', ids: i.source })],
  ['POST /conversations/bulk delete confirmed', (w, i) => form(w, '/conversations/bulk', { action: 'delete', ids: i.source, confirmed: '1' })],
  ['GET /submissions/:id/manifest.pgp', (w, i) => get(w, `/submissions/${i.item}/manifest.pgp`)],
  ['GET /submissions/:id/part-00001.pgp', (w, i) => get(w, `/submissions/${i.item}/part-00001.pgp`)],
  ['POST /submissions/:id/seen', (w, i) => send(w, 'POST', `/submissions/${i.item}/seen`)],
  ['POST /submissions/:id/unseen', (w, i) => send(w, 'POST', `/submissions/${i.item}/unseen`)],
  ['GET /submissions/:id/delete', (w, i) => get(w, `/submissions/${i.item}/delete`)],
  ['POST /submissions/:id/delete', (w, i) => form(w, `/submissions/${i.item}/delete`, {})],
  ['GET /replies/:id.pgp', (w, i) => get(w, `/replies/${i.reply}.pgp`)],
  // rewrap.ts (sharing and moving, re-wrapped in the page)
  ['GET /conversations/:id/headers', (w, i) => get(w, `/conversations/${i.source}/headers`)],
  ['POST /conversations/:id/share', (w, i) => send(w, 'POST', `/conversations/${i.source}/share`, JSON.stringify({ items: [i.item], to: ['carl'] }), 'application/json')],
  ['POST /conversations/:id/move', (w, i) => send(w, 'POST', `/conversations/${i.source}/move`, JSON.stringify({ toDesk: 'sports' }), 'application/json')],
];

const unknown = () => ({ source: randomBytes(16).toString('hex'), item: randomBytes(16).toString('hex'), reply: randomBytes(16).toString('hex') });
const answer = async (res: Response) => ({ status: res.status, body: (await res.text()).replace(/name="csrf" value="[^"]+"|id="csrf-token" value="[^"]+"/g, '') });

describe('another desk\'s conversation answers exactly as an unknown one', () => {
  test.each(ROUTES)('%s', async (_name, ask) => {
    const theirs = await answer(await ask('ben', { source: desked.id, item: desked.items[0]!, reply: desked.reply }));
    const none = await answer(await ask('ben', unknown()));
    expect(theirs.status).toBe(404);
    expect(theirs).toEqual(none);
  });

  test('nothing of it changed, and its member still sees it all', async () => {
    const html = await (await get('anna', `/conversations/${desked.id}`)).text();
    for (const id of [...desked.items, desked.reply]) expect(html).toContain(id);
    expect(html).not.toContain('class="star"');
    expect((await get('anna', `/submissions/${desked.items[0]}/manifest.pgp`)).status).toBe(200);
    expect((await get('anna', `/replies/${desked.reply}.pgp`)).status).toBe(200);
  });

  test('the list, its count and the labels leave it out', async () => {
    const list = await (await get('ben', '/')).text();
    expect(list).not.toContain(desked.designation);
    expect(list).toContain(open.id);
    expect(await (await get('anna', '/')).text()).toContain(desked.designation);
    const labels = async (who: Who) => ((await (await get(who, '/labels')).json()) as { labels: { id: string }[] }).labels.map((l) => l.id);
    expect(await labels('ben')).toEqual([]);
    expect(await labels('anna')).toEqual([desked.id]);
  });
});

describe('an item shared with a journalist outside the desk', () => {
  test('shows the conversation with that item alone', async () => {
    const html = await (await get('carl', `/conversations/${desked.id}`)).text();
    expect(html).toContain(desked.items[1]);
    expect(html).not.toContain(desked.items[0]);
    expect(html).not.toContain(desked.reply);
    expect((await get('carl', `/submissions/${desked.items[1]}/manifest.pgp`)).status).toBe(200);
    expect((await get('carl', `/submissions/${desked.items[0]}/manifest.pgp`)).status).toBe(404);
    expect((await get('carl', `/replies/${desked.reply}.pgp`)).status).toBe(404);
    // The list counts what Carl may see: one item.
    expect(await (await get('carl', '/')).text()).toMatch(new RegExp(`${desked.designation}[^]*?1 item`));
  });

  test('cannot delete the whole conversation: 409, and nothing went', async () => {
    const res = await form('carl', `/sources/${desked.id}/delete`, {});
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('Only the members of this conversation');
    expect((await get('anna', `/conversations/${desked.id}`)).status).toBe(200);
  });
});

test('a conversation of no desk is everyone\'s', async () => {
  for (const who of ['anna', 'ben', 'carl'] as const) {
    expect((await get(who, `/conversations/${open.id}`)).status).toBe(200);
    expect((await get(who, `/submissions/${open.item}/manifest.pgp`)).status).toBe(200);
  }
});
