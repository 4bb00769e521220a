import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { openStore } from '../../server/store/index.ts';
import { ensureService } from '../../server/tor/services.ts';
import { sealdrop } from '../helpers/cli.ts';
import { addJournalist } from '../helpers/journalists.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource, sealedItem } from '../helpers/sources.ts';
import { loggedIn, type StaffClient } from '../helpers/staff-client.ts';

// The two-person rule on the web and the CLI (independent review of issue 23; store-level findings
// in two-person.test.ts): what a journalist shown one shared item may not do to its conversation
// (7), a move that would say which desk holds it (8), the Changes page's digest and "administrator"
// (2, 3), another administrator's onion key and a reset of anyone held (1, 5), the CLI's enrol and
// access for enrolled journalists and administrators (1, 5).
let instance: Instance;
type Account = Awaited<ReturnType<typeof loggedIn>>;
let ana: Account, ben: Account, cam: Account, carl: Account;
let conv: { id: string; shared: string; own: string };

const item = (source: string, sealedTo: string[]) => sealedItem(instance.store, source, sealedTo);
function send(c: StaffClient, method: string, url: string, body?: string | Uint8Array, type?: string): Promise<Response> {
  const headers: Record<string, string> = { cookie: c.cookie, 'sec-fetch-site': 'same-origin', 'x-csrf-token': c.csrf, ...(type ? { 'content-type': type } : {}) };
  return fetch(`${instance.journalistUrl}${url}`, { method, headers, body: body as BodyInit | undefined, redirect: 'manual' });
}

beforeAll(async () => {
  instance = await startInstance({}, {}, (dir) => void ensureService(dir, 'journalist'));
  ana = await loggedIn(instance, 'ana', { isAdmin: true });
  ben = await loggedIn(instance, 'ben', { isAdmin: true });
  cam = await loggedIn(instance, 'cam');
  carl = await loggedIn(instance, 'carl');
  const inv = instance.store.desks.create('inv', {}, 'cli');
  instance.store.desks.create('sports', {}, 'cli');
  instance.store.desks.addMember(inv.id, cam.account.id);
  const s = newSource(instance.store);
  instance.store.desks.setDesk(s.id, inv.id);
  conv = { id: s.id, shared: await item(s.id, [cam.account.fingerprint, carl.account.fingerprint]), own: await item(s.id, [cam.account.fingerprint]) };
}, 60_000);
afterAll(() => instance?.stop());

describe('finding 7: a journalist shown one shared item does not act on its conversation', () => {
  const ACTS: [string, (c: StaffClient, source: string, item: string) => Promise<Response>][] = [
    ['star', (c, s) => c.post(`/sources/${s}/star`, { csrf: c.csrf, starred: '1' })],
    ['done', (c, s) => c.post(`/sources/${s}/done`, { csrf: c.csrf, done: '1' })],
    ['bulk star', (c, s) => c.post('/conversations/bulk', { csrf: c.csrf, action: 'star', ids: s })],
    ['bulk done', (c, s) => c.post('/conversations/bulk', { csrf: c.csrf, action: 'done', ids: s })],
    ['label', (c, s) => send(c, 'POST', `/sources/${s}/label`, new Uint8Array(512), 'application/octet-stream')],
    ['label cleared', (c, s) => send(c, 'POST', `/sources/${s}/label`, new Uint8Array(0), 'application/octet-stream')],
    ['reply keys', (c, s) => send(c, 'GET', `/sources/${s}/keys`)],
    ['reply', (c, s) => send(c, 'POST', `/sources/${s}/replies`, new Uint8Array(512), 'application/octet-stream')],
    ['item delete (asked)', (c, _s, i) => send(c, 'GET', `/submissions/${i}/delete`)],
    ['item delete', (c, _s, i) => c.post(`/submissions/${i}/delete`, { csrf: c.csrf })],
  ];
  test.each(ACTS)('%s: 404 exactly like an unknown id', async (_name, act) => {
    const theirs = await act(carl.client, conv.id, conv.shared);
    const unknown = await act(carl.client, randomBytes(16).toString('hex'), randomBytes(16).toString('hex'));
    expect(theirs.status).toBe(404);
    expect(theirs.status).toBe(unknown.status);
  });

  test('the conversation page offers them none of those controls; the desk\'s member gets them all', async () => {
    const controls = [`action="/sources/${conv.id}/star"`, `action="/sources/${conv.id}/done"`, 'class="save-label"', `href="/sources/${conv.id}/delete"`, `href="/submissions/${conv.shared}/delete"`, 'class="send-reply"'];
    const theirs = await (await send(carl.client, 'GET', `/conversations/${conv.id}`)).text();
    const members = await (await send(cam.client, 'GET', `/conversations/${conv.id}`)).text();
    expect(theirs).toContain(`data-submission="${conv.shared}"`);
    for (const c of controls) {
      expect(theirs, c).not.toContain(c);
      expect(members, c).toContain(c);
    }
  });

  test('nothing changed; the item is still there and its desk\'s member still acts', async () => {
    expect((await send(carl.client, 'GET', `/submissions/${conv.shared}/manifest.pgp`)).status).toBe(200); // still reads it
    expect(instance.store.submissions.objects(conv.shared).manifest).toBeTruthy();
    expect((await send(cam.client, 'GET', `/sources/${conv.id}/keys`)).status).toBe(200);
    expect((await cam.client.post(`/sources/${conv.id}/star`, { csrf: cam.client.csrf, starred: '0' })).status).toBe(303);
  });
});

test('finding 8: moving a conversation one reads only a shared item of says nothing of its desk', async () => {
  const move = (toDesk: string) => send(carl.client, 'POST', `/conversations/${conv.id}/move`, JSON.stringify({ toDesk }), 'application/json');
  const same = await move('inv');
  const other = await move('sports');
  expect(same.status).toBe(409);
  expect({ status: same.status, body: await same.text() }).toEqual({ status: other.status, body: await other.text() });
});

describe('findings 1, 2, 3, 5 on the web', () => {
  const page = async (c: StaffClient) => (await c.get('/admin/changes')).text();
  const digestIn = (html: string, id: number) => new RegExp(`action="/admin/changes/${id}/confirm"[^>]*>[^]*?name="digest" value="([0-9a-f]+)"`).exec(html)?.[1];

  test('adding an administrator says so plainly; Confirm carries the digest shown, and anything else is refused', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Xavier' });
    expect((await ana.client.post('/admin/journalists', { csrf: ana.client.csrf, username: 'xavier', public_key: publicKey, admin: '1' })).status).toBe(200);
    const promote = instance.store.changes.pending().find((c) => c.action === 'promote')!;
    const html = await page(ben.client);
    expect(html).toContain('Make <bdi>xavier</bdi> an administrator.');
    const digest = digestIn(html, promote.id)!;
    expect(digest).toMatch(/^[0-9a-f]{32}$/);
    const post = (fields: Record<string, string>) => ben.client.post(`/admin/changes/${promote.id}/confirm`, { csrf: ben.client.csrf, ...fields });
    expect((await post({})).status).toBe(400);
    const changed = await post({ digest: digest.replace(/^./, (c) => (c === '0' ? '1' : '0')) });
    expect(changed.status).toBe(409);
    expect(await changed.text()).toContain('is not the one you were shown');
    expect(instance.store.journalists.get('xavier').isAdmin).toBe(false);
    expect((await post({ digest })).status).toBe(303);
    expect(instance.store.journalists.get('xavier').isAdmin).toBe(true);
    for (const c of instance.store.changes.pending()) instance.store.changes.reject(c.id, ana.account.id);
  });

  test('a reset of a journalist who is not an administrator waits; the confirmer is shown the link and recorded as its issuer', async () => {
    expect((await ana.client.post(`/admin/journalists/${cam.account.id}/reset`, { csrf: ana.client.csrf })).status).toBe(303);
    expect(instance.store.journalists.byId(cam.account.id).enrolled).toBe(true);
    const reset = instance.store.changes.pending().find((c) => c.action === 'reset')!;
    expect(await page(ben.client)).toContain('Reset the passphrase and 2FA of <bdi>cam</bdi>');
    const done = await ben.client.post(`/admin/changes/${reset.id}/confirm`, { csrf: ben.client.csrf, digest: reset.digest });
    expect(done.status).toBe(200);
    expect(await done.text()).toMatch(/\/enrol\/[\w-]+<\/code>/);
    expect(instance.store.journalists.byId(cam.account.id).enrolled).toBe(false);
    expect(instance.store.journalists.loginIssuedBy(cam.account.id)).toBe(ben.account.id);
  });

  test('another administrator\'s onion access key waits for a second administrator; one\'s own does not', async () => {
    const asked = await ana.client.post(`/admin/journalists/${ben.account.id}/access`, { csrf: ana.client.csrf });
    expect(asked.status).toBe(303);
    expect(instance.store.journalists.byId(ben.account.id).hasOnionAccess).toBe(false);
    const onion = instance.store.changes.pending().find((c) => c.action === 'onion')!;
    expect(onion).toMatchObject({ journalist: 'ben', requestedBy: 'ana' });
    expect(await page(ben.client)).toContain('Give the administrator <bdi>ben</bdi> a new onion access key');
    const own = await ana.client.post(`/admin/journalists/${ana.account.id}/access`, { csrf: ana.client.csrf });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('id="notice-access"');
    const confirmed = await ben.client.post(`/admin/changes/${onion.id}/confirm`, { csrf: ben.client.csrf, digest: onion.digest });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toContain('id="notice-access"');
    expect(instance.store.journalists.byId(ben.account.id).hasOnionAccess).toBe(true);
  });
});

describe('findings 1 and 5 on the command line', () => {
  let work: string;
  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-two-person-cli-'));
    const store = openStore(work);
    try {
      for (const name of ['ada', 'bo']) {
        const j = await addJournalist(store, name, true);
        store.journalists.setCredentials(j.id, { passwordHash: 'x', totpSecret: 'JBSWY3DPEHPK3PXP' });
      }
    } finally {
      store.close();
    }
    ensureService(work, 'journalist');
  });
  afterAll(() => rm(work, { recursive: true, force: true }));

  test('adding an administrator says that making them one waits too', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Zed' });
    await writeFile(path.join(work, 'zed.asc'), publicKey);
    const added = await sealdrop(['journalist', 'add', '--data', work, '--username', 'zed', '--public-key', path.join(work, 'zed.asc'), '--admin']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Making zed an administrator: pending: a second administrator must confirm it .*\(change \d+\)/);
    const store = openStore(work);
    try {
      expect(store.journalists.get('zed')).toMatchObject({ active: false, isAdmin: false });
      for (const c of store.changes.pending()) store.changes.reject(c.id, store.journalists.get('ada').id);
    } finally {
      store.close();
    }
  }, 60_000);

  test('enrol of an enrolled journalist and a new access key for an administrator wait for a second administrator', async () => {
    const enrol = await sealdrop(['journalist', 'enrol', '--data', work, '--username', 'bo']);
    expect(enrol.code, enrol.stderr).toBe(0);
    expect(enrol.stdout).toContain('a second administrator must confirm it');
    expect(enrol.stdout).not.toContain('/enrol/');
    const access = await sealdrop(['journalist', 'access', '--data', work, '--username', 'bo']);
    expect(access.code, access.stderr).toBe(0);
    expect(access.stdout).toContain('a second administrator must confirm it');
    expect(access.stdout).not.toMatch(/descriptor:x25519/);
    const store = openStore(work);
    try {
      expect(store.journalists.get('bo')).toMatchObject({ enrolled: true, hasOnionAccess: false });
      expect(store.changes.pending().map((c) => [c.action, c.requestedBy])).toEqual([['reset', 'cli'], ['onion', 'cli']]);
    } finally {
      store.close();
    }
  }, 60_000);
});
