import { rawPost } from '../helpers/raw-post.ts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startWithJournalist, type Instance } from '../helpers/instance.ts';

// Issue 25 without JavaScript: a form sent twice (a double click, Back and Send again) stores once
// and answers the same page; a codename can come first, and sends then go into that conversation.
const BOUNDARY = 'sealdrop-once-boundary';
let instance: Instance;

beforeAll(async () => {
  ({ instance } = await startWithJournalist());
});
afterAll(() => instance?.stop());

const post = (path: string, body: string, type: string, cookie = '') => rawPost(`${instance.sourceUrl}${path}`, body, type, cookie);
const field = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const send = (once: string, message: string, cookie = '') => post('/submit', `${field('once', once)}${field('message', message)}--${BOUNDARY}--\r\n`, `multipart/form-data; boundary=${BOUNDARY}`, cookie);
const onceIn = (html: string) => /<input type="hidden" name="once" value="([\w-]+)">/.exec(html)?.[1] ?? '';
const codenameIn = (html: string) => /<p class="codename" id="codename" dir="ltr">([^<]+)<\/p>/.exec(html)?.[1];
const startPage = async (cookie = '') => (await fetch(`${instance.sourceUrl}/`, { headers: { cookie } })).text();
const counts = () => ({ sources: instance.rows().sources!.length, submissions: instance.rows().submissions!.length });

test('a first send repeated with the same form stores once and answers the same codename page', async () => {
  const page = await startPage();
  const once = onceIn(page);
  expect(once).toMatch(/^[\w-]{70}$/);
  const before = counts();
  const [a, b] = await Promise.all([send(once, 'Sent twice by a double click.'), send(once, 'Sent twice by a double click.')]);
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(codenameIn(a.html)).toBeDefined();
  expect(codenameIn(b.html)).toBe(codenameIn(a.html));
  expect(counts()).toEqual({ sources: before.sources + 1, submissions: before.submissions + 1 });
  // Back and Send again later: still the same page, nothing more stored.
  const c = await send(once, 'Sent twice by a double click.');
  expect(codenameIn(c.html)).toBe(codenameIn(a.html));
  expect(counts()).toEqual({ sources: before.sources + 1, submissions: before.submissions + 1 });
  // Another form (another token) is another send.
  expect((await send(onceIn(await startPage()), 'A second message.')).status).toBe(200);
  expect(counts().submissions).toBe(before.submissions + 2);
});

test('a returning source repeating a send: stored once, both answered "Sent"', async () => {
  const first = await send(onceIn(await startPage()), 'First.');
  const cookie = first.cookie;
  const before = counts();
  const once = onceIn(await startPage(cookie));
  const [a, b] = await Promise.all([send(once, 'Follow-up.', cookie), send(once, 'Follow-up.', cookie)]);
  expect([a.status, a.location, b.status, b.location]).toEqual([303, '/sent', 303, '/sent']);
  expect(counts()).toEqual({ sources: before.sources, submissions: before.submissions + 1 });
});

test('without JavaScript, a codename can come first; a send then goes into that conversation, and a double click makes one codename', async () => {
  const page = await startPage();
  expect(page).toContain('<form class="nojs-only codename-first" method="post" action="/codename">');
  const once = onceIn(page);
  const before = counts();
  const [a, b] = await Promise.all([post('/codename', `once=${once}`, 'application/x-www-form-urlencoded'), post('/codename', `once=${once}`, 'application/x-www-form-urlencoded')]);
  expect([a.status, b.status]).toEqual([200, 200]);
  expect(a.html).toContain('<h1>Your codename: write it down, then send</h1>');
  expect(a.html).not.toContain('Everything you sent arrived');
  expect(codenameIn(b.html)).toBe(codenameIn(a.html));
  expect(counts()).toEqual({ sources: before.sources + 1, submissions: before.submissions });
  // With the session the codename page set, the start page sends into that conversation (and offers no second codename).
  const withSession = await startPage(a.cookie);
  expect(withSession).not.toContain('action="/codename"');
  const sent = await send(onceIn(withSession), 'Now the material.', a.cookie);
  expect([sent.status, sent.location]).toEqual([303, '/sent']);
  const rows = instance.rows();
  expect(rows.sources!.length).toBe(before.sources + 1);
  const newest = (rows.submissions as { source_id: string }[]).at(-1)!;
  expect((rows.sources as { id: string }[]).map((s) => s.id)).toContain(newest.source_id);
  expect(counts().submissions).toBe(before.submissions + 1);
  // A form with anything but the token is refused.
  expect((await post('/codename', `once=${once}&x=1`, 'application/x-www-form-urlencoded')).status).toBe(400);
});
