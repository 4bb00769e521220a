import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// The conversation list through the real journalist app and a real SQLite database.
let instance: Instance;
let jo: StaffClient;
let ann: StaffClient;
let joId: number;

beforeAll(async () => {
  instance = await startInstance();
  const a = await makeAccount(instance, 'jo');
  const b = await makeAccount(instance, 'ann');
  joId = a.id;
  jo = new StaffClient(instance.journalistUrl);
  ann = new StaffClient(instance.journalistUrl);
  expect((await jo.login('jo', a.passphrase, a.code())).status).toBe(303);
  expect((await ann.login('ann', b.passphrase, b.code(-1))).status).toBe(303);
});
afterAll(() => instance?.stop());

/** A conversation with `items` complete submissions (small stand-in objects), all dated `day`. */
async function conversation(items: number, day = '2026-01-01'): Promise<{ id: string; designation: string; submissions: string[] }> {
  const { store } = instance;
  const s = newSource(store);
  const submissions: string[] = [];
  for (let i = 0; i < items; i++) {
    const id = store.submissions.create(s.id, 1);
    await store.submissions.putPart(id, 1, randomBytes(1000));
    await store.submissions.putManifest(id, randomBytes(100));
    store.submissions.complete(id);
    submissions.push(id);
  }
  sql('UPDATE submissions SET created_day = ? WHERE source_id = ?', day, s.id);
  return { ...s, submissions };
}

/** Days finer than the store's own today(): set straight in the file, as a drop running for months would hold them. */
function sql(statement: string, ...values: unknown[]): void {
  const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
  try {
    db.prepare(statement).run(...values);
  } finally {
    db.close();
  }
}

const designations = (html: string) => [...html.matchAll(/class="designation">([^<]+)</g)].map((m) => m[1]!);
const page = async (c: StaffClient, query: string) => {
  const res = await c.get(`/${query}`);
  expect(res.status).toBe(200);
  return res.text();
};
const bulk = (c: StaffClient, action: string, ids: string[], extra: Record<string, string> = {}) => {
  const body = new URLSearchParams({ csrf: c.csrf, action, ...extra });
  for (const id of ids) body.append('ids', id);
  return fetch(`${instance.journalistUrl}/conversations/bulk`, {
    method: 'POST',
    headers: { cookie: c.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' },
    body,
    redirect: 'manual',
  });
};
const column = (id: string, name: 'starred' | 'done') => (instance.rows().sources!.find((r) => (r as { id: string }).id === id) as Record<string, number> | undefined)?.[name] === 1;
const isDone = (id: string) => column(id, 'done');
const starred = (id: string) => column(id, 'starred');

describe('one page of the list', () => {
  let a: Awaited<ReturnType<typeof conversation>>, b: typeof a, c: typeof a, d: typeof a;
  beforeAll(async () => {
    a = await conversation(2, '2026-01-05');
    b = await conversation(1, '2026-01-07');
    c = await conversation(3, '2026-01-03');
    d = await conversation(1, '2026-01-06');
    instance.store.sources.setDone(b.id, true);
    instance.store.sources.setStarred(c.id, true);
    // A reply is activity too: c's last day is its reply's.
    await instance.store.replies.add(c.id, randomBytes(64));
    sql('UPDATE replies SET created_day = ? WHERE source_id = ?', '2026-01-09', c.id);
    instance.store.inbox.markSeen(d.submissions[0]!, joId);
  });

  test('sorted by last activity, done last; each filter shows exactly its conversations', async () => {
    expect(designations(await page(jo, ''))).toEqual([c, d, a, b].map((x) => x.designation));
    expect(designations(await page(jo, '?filter=unread'))).toEqual([c, a, b].map((x) => x.designation));
    expect(designations(await page(jo, '?filter=starred'))).toEqual([c.designation]);
    expect(designations(await page(jo, '?filter=open'))).toEqual([c, d, a].map((x) => x.designation));
    expect(designations(await page(jo, '?filter=done'))).toEqual([b.designation]);
    const html = await page(jo, '?filter=open');
    expect(html).toMatch(/<a href="\/\?filter=open" aria-current="page">/);
    expect(html.match(/aria-current="page"/g)).toHaveLength(1);
  });

  test('each line: its last day, unread count per journalist, item count and size class', async () => {
    const lineOf = (html: string, id: string) => new RegExp(`<li class="conversation[^"]*" data-source="${id}"[\\s\\S]*?</li>`).exec(html)![0];
    const mine = await page(jo, '');
    expect(lineOf(mine, c.id)).toContain('last activity 2026-01-09');
    expect(lineOf(mine, c.id)).toContain('3 unread');
    expect(lineOf(mine, c.id)).toContain('3 items · up to 1 MB');
    expect(lineOf(mine, d.id)).not.toContain('unread');
    // Ann has opened nothing: d is unread for her.
    expect(lineOf(await page(ann, ''), d.id)).toContain('1 unread');
    expect(designations(await page(ann, '?filter=unread'))).toContain(d.designation);
  });

  test('the order kept between pages follows every change: through the server, or another process (the CLI)', async () => {
    expect(designations(await page(jo, '?filter=open'))).toEqual([c, d, a].map((x) => x.designation));
    sql('UPDATE submissions SET created_day = ? WHERE source_id = ?', '2026-01-10', a.id); // another connection
    expect(designations(await page(jo, '?filter=open'))).toEqual([a, c, d].map((x) => x.designation));
    instance.store.sources.setDone(a.id, true); // this one
    expect(designations(await page(jo, '?filter=open'))).toEqual([c, d].map((x) => x.designation));
    instance.store.sources.setDone(a.id, false);
    sql('UPDATE submissions SET created_day = ? WHERE source_id = ?', '2026-01-05', a.id);
    expect(designations(await page(jo, '?filter=open'))).toEqual([c, d, a].map((x) => x.designation));
  });

  test('a bad filter or page is a 400 that says what is allowed', async () => {
    for (const q of ['?filter=bogus', '?page=0', '?page=x', '?page=-1', '?page=1.5', '?filter=all&filter=done', '?sort=day']) {
      const res = await jo.get(`/${q}`);
      expect(res.status, q).toBe(400);
    }
    expect(await (await jo.get('/?filter=bogus')).text()).toContain('Unknown filter: use all, unread, starred, open or done.');
    expect(await (await jo.get('/?page=0')).text()).toContain('The page must be a whole number from 1.');
    expect((await jo.get('/?lang=zz')).status).toBe(200); // the language switch's own parameter, unknown: ignored
  });

  test('labels: the ciphertext of every labelled conversation, for the page to decrypt', async () => {
    instance.store.sources.setLabel(a.id, 'Y2lwaGVydGV4dA==');
    const res = await jo.get('/labels');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ labels: [{ id: a.id, designation: a.designation, label: 'Y2lwaGVydGV4dA==' }] });
    instance.store.sources.setLabel(a.id, null);
  });
});

describe('bulk actions', () => {
  test('each action changes exactly the selected conversations, for this journalist where it is theirs', async () => {
    const [x, y, z] = [await conversation(2), await conversation(1), await conversation(1)];
    let res = await bulk(jo, 'star', [x.id, y.id], { return: '/?filter=open&page=1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/?filter=open');
    expect([x, y, z].map((s) => starred(s.id))).toEqual([true, true, false]);
    expect(await page(jo, '')).toContain('Starred 2 conversations.');
    expect(await page(jo, '')).not.toContain('Starred 2 conversations.'); // shown once
    expect((await bulk(jo, 'unstar', [y.id])).status).toBe(303);
    expect([x, y, z].map((s) => starred(s.id))).toEqual([true, false, false]);
    expect((await bulk(jo, 'done', [y.id, z.id])).status).toBe(303);
    expect([x, y, z].map((s) => isDone(s.id))).toEqual([false, true, true]);
    expect((await bulk(jo, 'reopen', [z.id])).status).toBe(303);
    expect([x, y, z].map((s) => isDone(s.id))).toEqual([false, true, false]);
    // Read and unread are jo's own: ann's read state does not move.
    const seen = (j: number) => instance.rows().seen!.filter((r) => (r as { journalist_id: number }).journalist_id === j).map((r) => (r as { submission_id: string }).submission_id);
    res = await bulk(jo, 'read', [x.id, z.id]);
    expect(res.status).toBe(303);
    expect(seen(joId).filter((s) => [...x.submissions, ...y.submissions, ...z.submissions].includes(s)).sort()).toEqual([...x.submissions, ...z.submissions].sort());
    const annBefore = seen(joId + 1);
    expect((await bulk(jo, 'unread', [x.id])).status).toBe(303);
    expect(seen(joId).filter((s) => [...x.submissions, ...z.submissions].includes(s))).toEqual(z.submissions);
    expect(seen(joId + 1)).toEqual(annBefore);
  });

  test('an unknown id is a 404 and changes nothing; bad input is a 400; no CSRF token is refused', async () => {
    const x = await conversation(1);
    const before = instance.rows();
    const forged = randomBytes(16).toString('hex');
    for (const action of ['star', 'done', 'read', 'delete']) expect((await bulk(jo, action, [x.id, forged], action === 'delete' ? { confirmed: '1' } : {})).status, action).toBe(404);
    expect((await bulk(jo, 'delete', [x.id, forged])).status).toBe(404); // not even a confirmation
    expect((await bulk(jo, 'star', [x.id], { confirmed: '1' })).status).toBe(400);
    expect((await bulk(jo, 'star', [x.id, 'not-an-id'])).status).toBe(400);
    expect((await bulk(jo, 'explode', [x.id])).status).toBe(400);
    expect((await bulk(jo, 'star', [])).status).toBe(400);
    expect((await bulk(jo, 'star', Array.from({ length: 201 }, () => randomBytes(16).toString('hex')))).status).toBe(400);
    expect((await bulk(jo, 'star', [x.id], { return: 'https://elsewhere.example/' })).status).toBe(400);
    expect((await bulk(jo, 'star', [x.id], { return: '//elsewhere.example/' })).status).toBe(400);
    expect((await bulk(jo, 'star', [x.id], { color: 'red' })).status).toBe(400);
    const body = new URLSearchParams({ action: 'star', ids: x.id });
    const noCsrf = await fetch(`${instance.journalistUrl}/conversations/bulk`, { method: 'POST', headers: { cookie: jo.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' }, body, redirect: 'manual' });
    expect(noCsrf.status).toBe(403);
    expect(instance.rows()).toEqual(before);
  });

  test('200 conversations at once are taken', async () => {
    const ids = [(await conversation(1)).id];
    // The server runs in this process: yielding now and then lets it close idle keep-alive
    // connections as they time out, not just as the next request goes out on one (ECONNRESET).
    for (let i = 0; i < 199; i++) {
      ids.push(newSource(instance.store).id);
      if (i % 10 === 0) await new Promise((r) => setImmediate(r));
    }
    expect((await bulk(jo, 'star', ids)).status).toBe(303);
    expect(ids.every(starred)).toBe(true);
    expect((await bulk(jo, 'unstar', ids)).status).toBe(303);
    sql("DELETE FROM sources WHERE id NOT IN (SELECT source_id FROM submissions) AND id NOT IN (SELECT source_id FROM replies)");
  });

  test('delete asks first, naming how many and which, and deletes only once confirmed; a notice says what went', async () => {
    const [x, y, keep] = [await conversation(2), await conversation(3), await conversation(1)];
    instance.store.sources.setLabel(x.id, 'bGFiZWw=');
    const objectsBefore = (await instance.objectFiles()).length;
    const asked = await bulk(jo, 'delete', [x.id, y.id], { return: '/?filter=open' });
    expect(asked.status).toBe(200);
    const html = await asked.text();
    expect(html).toContain('Delete 2 conversations?');
    expect(html).toContain(`data-source="${x.id}" data-label="bGFiZWw="><span class="source-label" dir="auto"></span><span class="designation">${x.designation}</span> · <span class="items">2 items</span>`);
    expect(html).toContain(`<span class="source-label" dir="auto"></span><span class="designation">${y.designation}</span> · <span class="items">3 items</span>`);
    expect(html).toMatch(/<a href="\/\?filter=open" id="cancel">/);
    expect(html).toMatch(/<button type="submit" id="confirm" class="danger">/);
    expect(instance.store.sources.get(x.id).id).toBe(x.id); // nothing deleted yet
    const fields = [...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((m) => [m[1]!, m[2]!]);
    expect(fields.filter(([n]) => n === 'ids').map(([, v]) => v)).toEqual([x.id, y.id]);
    const done = await bulk(jo, 'delete', [x.id, y.id], { confirmed: '1', return: '/?filter=open' });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe('/?filter=open');
    expect(() => instance.store.sources.get(x.id)).toThrow();
    expect(() => instance.store.sources.get(y.id)).toThrow();
    expect(instance.store.sources.get(keep.id).id).toBe(keep.id);
    expect((await instance.objectFiles()).length).toBe(objectsBefore - 10); // 5 submissions, 2 objects each
    expect(await page(jo, '?filter=open')).toContain('Deleted 2 conversations.');
  });
});

describe('one conversation or item deleted, star and done', () => {
  test('a conversation: the confirmation names designation, label slot and items; after it, a notice', async () => {
    const x = await conversation(3);
    const asked = await (await jo.get(`/sources/${x.id}/delete?return=${encodeURIComponent('/?filter=starred')}`)).text();
    expect(asked).toContain(`<span class="source-label" dir="auto"></span><span class="designation">${x.designation}</span> · <span class="items">3 items</span>`);
    expect(asked).toMatch(/<a href="\/\?filter=starred" id="cancel">/);
    expect((await jo.get(`/sources/${x.id}/delete?return=${encodeURIComponent('https://x.example/')}`)).status).toBe(400);
    const res = await jo.post(`/sources/${x.id}/delete`, { csrf: jo.csrf, return: `/conversations/${x.id}` });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/');
    expect(await page(jo, '')).toContain(`Deleted the conversation with ${x.designation} (3 items).`);
  });

  test('one item: named by its conversation; the journalist goes back to the conversation', async () => {
    const x = await conversation(2);
    const asked = await (await jo.get(`/submissions/${x.submissions[0]}/delete`)).text();
    expect(asked).toContain(`<span class="source-label" dir="auto"></span><span class="designation">${x.designation}</span> · <span class="items">1 item</span>`);
    expect(asked).toMatch(new RegExp(`<a href="/conversations/${x.id}" id="cancel">`));
    const res = await jo.post(`/submissions/${x.submissions[0]}/delete`, { csrf: jo.csrf });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/conversations/${x.id}`);
    expect(instance.rows().submissions!.map((r) => (r as { id: string }).id)).not.toContain(x.submissions[0]);
    expect(await page(jo, '')).toContain(`Deleted one item from the conversation with ${x.designation}.`);
    expect((await jo.post(`/submissions/${randomBytes(16).toString('hex')}/delete`, { csrf: jo.csrf })).status).toBe(404);
  });

  test('star and done go back where the journalist was; a return elsewhere is refused', async () => {
    const x = await conversation(1);
    let res = await jo.post(`/sources/${x.id}/star`, { csrf: jo.csrf, starred: '1', return: '/?filter=unread&page=1' });
    expect(res.headers.get('location')).toBe('/?filter=unread');
    expect(starred(x.id)).toBe(true);
    res = await jo.post(`/sources/${x.id}/done`, { csrf: jo.csrf, done: '1' });
    expect(res.headers.get('location')).toBe(`/conversations/${x.id}`);
    expect(isDone(x.id)).toBe(true);
    for (const back of ['//evil.example/', '/admin', '/conversations/../admin', 'http://x/', '/?filter=bogus']) {
      expect((await jo.post(`/sources/${x.id}/star`, { csrf: jo.csrf, starred: '0', return: back })).status, back).toBe(400);
    }
    expect(starred(x.id)).toBe(true);
    expect((await jo.post(`/sources/${x.id}/star`, { csrf: jo.csrf, starred: 'yes' })).status).toBe(400);
  });
});

describe('paging', () => {
  test('pages of 50: page 2 has the rest, the pager keeps the filter, a page past the end goes to the last', async () => {
    const total = instance.store.inbox.page(joId, 'all', 1).total;
    const more = 101 - total;
    for (let i = 0; i < more; i++) await conversation(1, '2025-06-01');
    const first = await page(jo, '');
    expect(first).toContain('101 conversations');
    expect(first).toContain('Page 1 of 3');
    expect(first).toContain('<a href="/?page=2" rel="next">');
    const pages = [designations(first), designations(await page(jo, '?page=2')), designations(await page(jo, '?page=3'))];
    expect(pages.map((p) => p.length)).toEqual([50, 50, 1]);
    expect(new Set(pages.flat()).size).toBe(101);
    const open = await page(jo, '?filter=open&page=2');
    expect(open).toContain('<a href="/?filter=open" rel="prev">');
    const past = await jo.get('/?page=9');
    expect(past.status).toBe(303);
    expect(past.headers.get('location')).toBe('/?page=3');
  });
});
