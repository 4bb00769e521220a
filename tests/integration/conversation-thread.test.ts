import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource, SOURCE_KEY } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// One conversation page: the source's items and the newsroom's replies in one thread ordered by
// day (items first within a day), each reply naming its author ("a former colleague" once they are
// removed), and read state that belongs to each journalist: seen, unseen (for a fetch and for a
// plain form), refused without the CSRF token or with a foreign address to go back to.
let instance: Instance;
const staff: Record<'anna' | 'ben', StaffClient> = {} as never;
let source: string;
const items: string[] = [];
const replies: Record<string, string> = {};

/** Puts a row on a given day (the store only ever writes today). */
function setDay(table: 'submissions' | 'replies', id: string, day: string): void {
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
  try {
    db.prepare(`UPDATE ${table} SET created_day = ? WHERE id = ?`).run(day, id);
  } finally {
    db.close();
  }
}

async function item(day: string): Promise<string> {
  const id = instance.store.submissions.create(source, 1);
  await instance.store.submissions.putPart(id, 1, new Uint8Array(4096));
  await instance.store.submissions.putManifest(id, new Uint8Array(600));
  instance.store.submissions.complete(id);
  setDay('submissions', id, day);
  return id;
}

beforeAll(async () => {
  instance = await startInstance();
  const accounts = { anna: await makeAccount(instance, 'anna'), ben: await makeAccount(instance, 'ben'), carl: await makeAccount(instance, 'carl') };
  for (const name of ['anna', 'ben'] as const) {
    staff[name] = new StaffClient(instance.journalistUrl);
    await staff[name].login(name, accounts[name].passphrase, accounts[name].code());
    await staff[name].get('/');
  }
  source = newSource(instance.store).id;
  items.push(await item('2026-03-01'), await item('2026-03-03'));
  const add = async (who: 'ben' | 'carl', day: string) => {
    const id = await instance.store.replies.add(source, new Uint8Array(500), accounts[who].id);
    setDay('replies', id, day);
    return id;
  };
  replies.ben = await add('ben', '2026-03-01');
  replies.carl = await add('carl', '2026-03-03');
  // Anna's reply goes through the route, as her page sends it: the server records her as its author.
  const keys = await Promise.all([SOURCE_KEY.publicKey, ...Object.values(accounts).map((a) => a.publicKey)].map(async (k) => (await readJournalistKey(k)).key));
  const res = await fetchAs('anna', `/sources/${source}/replies`, await sealText({ kind: 'reply', text: 'Which ministry?', recipients: keys }), 'application/octet-stream');
  expect(res.status).toBe(201);
  replies.anna = ((await res.json()) as { reply: string }).reply;
  setDay('replies', replies.anna, '2026-03-02');
  instance.store.journalists.remove('carl');
});
afterAll(() => instance?.stop());

function fetchAs(who: 'anna' | 'ben', url: string, body?: Uint8Array, type?: string, csrf = staff[who].csrf): Promise<Response> {
  const headers: Record<string, string> = { cookie: staff[who].cookie, 'sec-fetch-site': 'same-origin', ...(csrf ? { 'x-csrf-token': csrf } : {}), ...(type ? { 'content-type': type } : {}) };
  return fetch(`${instance.journalistUrl}${url}`, { method: 'POST', headers, body: body as BodyInit | undefined, redirect: 'manual' });
}

const page = async (who: 'anna' | 'ben', id = source) => (await staff[who].get(`/conversations/${id}`)).text();
/** The thread's entries in order, as `item:<id>:read|unread` and `reply:<id>:<who wrote it>`. */
function threadOf(html: string): string[] {
  const thread = /<ol class="thread"[^>]*>([\s\S]*?)<\/ol>/.exec(html)![1]!;
  return [...thread.matchAll(/<li class="(submission(?: unread)?|reply-row)" data-(?:submission|reply)="([0-9a-f]{32})"[\s\S]*?<\/li>/g)].map((m) => {
    if (m[1] === 'reply-row') return `reply:${m[2]}:${/<span class="reply-by">([^<]*)<\/span>/.exec(m[0])![1]}`;
    return `item:${m[2]}:${m[1]!.includes('unread') ? 'unread' : 'read'}`;
  });
}

describe('the thread', () => {
  test('is ordered by day, items before replies within a day, each reply naming its author', async () => {
    const html = await page('ben');
    expect(threadOf(html)).toEqual([
      `item:${items[0]}:unread`,
      `reply:${replies.ben}:Reply by ben, 2026-03-01`,
      `reply:${replies.anna}:Reply by anna, 2026-03-02`,
      `item:${items[1]}:unread`,
      `reply:${replies.carl}:Reply by a former colleague, 2026-03-03`,
    ]);
    // Until a key opens the manifests, items are numbered, with their day and size class.
    expect(html).toContain('<span class="item">Item 1</span> · 2026-03-01 · &lt; 0.1 MB');
    expect(html).toMatch(new RegExp(`<header class="conversation-head" data-source="${source}" data-label="">`));
    expect(html).toContain(`<a href="/sources/${source}/delete">`);
    expect(html).toMatch(/<form method="post" action="\/sources\/[0-9a-f]{32}\/star" class="inline">[^]*?name="return" value="\/conversations\/[0-9a-f]{32}"/);
  });

  test('an unknown, malformed or deleted source is a 404 that says so', async () => {
    for (const id of ['0'.repeat(32), 'not-an-id']) {
      const res = await staff.anna.get(`/conversations/${id}`);
      expect(res.status).toBe(404);
      expect(await res.text()).toContain('There is no such conversation');
    }
    const gone = newSource(instance.store).id;
    expect((await staff.anna.get(`/conversations/${gone}`)).status).toBe(200);
    await instance.store.inbox.deleteSource(gone);
    expect((await staff.anna.get(`/conversations/${gone}`)).status).toBe(404);
  });

  test('is for journalists only', async () => {
    const res = await fetch(`${instance.journalistUrl}/conversations/${source}`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login');
  });
});

describe('read state, per journalist', () => {
  const stateOf = async (who: 'anna' | 'ben', id: string) => threadOf(await page(who)).find((e) => e.startsWith(`item:${id}`))!.split(':')[2];

  test('opened by one journalist is read for them only; marked unread, it is unread again', async () => {
    const [first] = items as [string];
    expect((await fetchAs('anna', `/submissions/${first}/seen`)).status).toBe(204);
    expect(await stateOf('anna', first)).toBe('read');
    expect(await stateOf('ben', first)).toBe('unread');
    expect((await fetchAs('anna', `/submissions/${first}/unseen`)).status).toBe(204);
    expect(await stateOf('anna', first)).toBe('unread');
    // Ben's own state is his: Anna marking unread does not touch it.
    expect((await fetchAs('ben', `/submissions/${first}/seen`)).status).toBe(204);
    expect((await fetchAs('anna', `/submissions/${first}/unseen`)).status).toBe(204);
    expect(await stateOf('ben', first)).toBe('read');
  });

  test('a plain form goes back where it was; a foreign address, a missing token or an unknown item change nothing', async () => {
    const [, second] = items as [string, string];
    expect((await fetchAs('anna', `/submissions/${second}/seen`)).status).toBe(204);
    const here = `/conversations/${source}`;
    for (const back of ['//evil.example/x', 'https://evil.example/', '/\\evil.example', '/admin']) {
      expect((await staff.anna.post(`/submissions/${second}/unseen`, { csrf: staff.anna.csrf, return: back })).status).toBe(400);
    }
    expect((await staff.anna.post(`/submissions/${second}/unseen`, { return: here })).status).toBe(403); // no CSRF token
    expect((await fetchAs('anna', `/submissions/${second}/unseen`, undefined, undefined, 'forged')).status).toBe(403);
    expect((await staff.anna.post(`/submissions/${second}/unseen`, { csrf: staff.anna.csrf, return: here }, { 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await stateOf('anna', second)).toBe('read');
    const res = await staff.anna.post(`/submissions/${second}/unseen`, { csrf: staff.anna.csrf, return: here });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(here);
    expect(await stateOf('anna', second)).toBe('unread');
    expect((await fetchAs('anna', `/submissions/${'0'.repeat(32)}/unseen`)).status).toBe(404);
    expect((await staff.anna.post(`/submissions/${second}/unseen`, { csrf: staff.anna.csrf, extra: 'x' })).status).toBe(400);
  });
});
