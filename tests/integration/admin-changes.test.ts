import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { openStore } from '../../server/store/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// The two-person rule on the web (issue 23): with two administrators, a new reader's key waits
// until the OTHER administrator confirms it; nothing is encrypted to it before. With one, every
// admin page says the rule cannot hold.
let instance: Instance;
let ana: Awaited<ReturnType<typeof makeAccount>>;
let anaWeb: StaffClient;

const WARNING = 'The two-person rule needs two administrators: until then one account can add a reader.';
const grouped = (fp: string) => fp.match(/.{4}/g)!.join(' ');
const offeredFingerprints = async () => {
  const keys = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { keys: string[] }).keys;
  return Promise.all(keys.map(async (k) => (await readJournalistKey(k)).fingerprint));
};
const text = async (c: StaffClient, path: string) => {
  const res = await c.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
};
const login = async (who: Awaited<ReturnType<typeof makeAccount>>, step = 0) => {
  const c = new StaffClient(instance.journalistUrl);
  expect((await c.login(who.username, who.passphrase, who.code(step))).status).toBe(303);
  return c;
};
const actions = () => instance.store.audit.latest(1000).map((e) => e.action);
// What the Changes page's forms carry: the change as shown (server/store/changes.ts digestOf).
const digestOf = (id: number) => instance.store.changes.get(id).digest;

beforeAll(async () => {
  instance = await startInstance();
  ana = await makeAccount(instance, 'ana', { isAdmin: true });
  anaWeb = await login(ana);
});
afterAll(() => instance?.stop());

describe('one administrator', () => {
  test('every admin page warns that one account can add a reader, and a new journalist is active at once', async () => {
    for (const path of ['/admin/journalists', '/admin/desks', '/admin/changes', '/admin/retention', '/admin/address']) {
      expect(await text(anaWeb, path), path).toContain(WARNING);
    }
    expect(await text(anaWeb, '/')).not.toContain(WARNING); // the workspace itself says nothing
    const { publicKey } = await generateKeyPair({ name: 'Dee' });
    const res = await anaWeb.post('/admin/journalists', { csrf: anaWeb.csrf, username: 'dee', public_key: publicKey });
    expect(res.status).toBe(200);
    expect(instance.store.journalists.get('dee').active).toBe(true);
    expect(await offeredFingerprints()).toContain((await readJournalistKey(publicKey)).fingerprint);
  });
});

describe('two administrators', () => {
  let ben: Awaited<ReturnType<typeof makeAccount>>;
  let benWeb: StaffClient;
  beforeAll(async () => {
    ben = await makeAccount(instance, 'ben', { isAdmin: true });
    benWeb = await login(ben);
  });

  test('the warning is gone', async () => {
    expect(await text(anaWeb, '/admin/journalists')).not.toContain(WARNING);
  });

  test('a journalist one administrator adds is pending until the other confirms; the requester cannot confirm it', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Carl' });
    const fp = (await readJournalistKey(publicKey)).fingerprint;
    const added = await anaWeb.post('/admin/journalists', { csrf: anaWeb.csrf, username: 'carl', public_key: publicKey });
    expect(added.status).toBe(200);
    expect(await added.text()).toContain('waiting for a second administrator');
    const carl = instance.store.journalists.get('carl');
    expect(carl.active).toBe(false);
    expect(await offeredFingerprints()).not.toContain(fp);
    // Marked in the list, and said plainly on the changes page: who, which key (in groups of four), who asked, the day.
    expect(await text(anaWeb, '/admin/journalists')).toMatch(new RegExp(`id="journalist-${carl.id}"[\\s\\S]*?awaiting a second administrator`));
    const change = instance.store.changes.pending().find((c) => c.kind === 'enable')!;
    const page = await text(benWeb, '/admin/changes');
    expect(page).toContain('Let <bdi>carl</bdi> read new material');
    expect(page).toContain(grouped(fp));
    expect(page).toContain(`Asked by <bdi>ana</bdi> on ${change.requestedDay}.`);
    expect(page).toContain(`action="/admin/changes/${change.id}/confirm"`);
    // The requester sees no Confirm button, and a forged confirmation is refused with a clear reason.
    expect(await text(anaWeb, '/admin/changes')).not.toContain(`action="/admin/changes/${change.id}/confirm"`);
    const refused = await anaWeb.post(`/admin/changes/${change.id}/confirm`, { csrf: anaWeb.csrf, digest: digestOf(change.id) });
    expect(refused.status).toBe(409);
    expect(await refused.text()).toContain('You asked for this change, so you cannot confirm it: another administrator must.');
    expect(instance.store.journalists.get('carl').active).toBe(false);
    // The other administrator confirms: the key is offered to sources from now on.
    const confirmed = await benWeb.post(`/admin/changes/${change.id}/confirm`, { csrf: benWeb.csrf, digest: digestOf(change.id) });
    expect(confirmed.status).toBe(303);
    expect(instance.store.journalists.get('carl').active).toBe(true);
    expect(await offeredFingerprints()).toContain(fp);
    expect(instance.store.changes.pending()).toEqual([]);
    const applied = instance.store.audit.withPrefix('access.enable').at(-1)!;
    expect(applied.detail).toMatchObject({ added: [fp], journalist: 'carl', requestedBy: 'ana', confirmedBy: 'ben' });
    expect(actions()).toEqual(expect.arrayContaining(['change.request', 'change.confirm', 'access.enable']));
  });

  test('a replaced key the other administrator rejects never takes effect', async () => {
    const carl = instance.store.journalists.get('carl');
    const { publicKey } = await generateKeyPair({ name: 'Carl 2' });
    const res = await anaWeb.post(`/admin/journalists/${carl.id}/key`, { csrf: anaWeb.csrf, public_key: publicKey });
    expect(res.status).toBe(303);
    const change = instance.store.changes.pending().find((c) => c.kind === 'key')!;
    expect(change.journalist).toBe('carl');
    expect(await text(benWeb, '/admin/changes')).toContain(grouped((await readJournalistKey(publicKey)).fingerprint));
    expect((await benWeb.post(`/admin/changes/${change.id}/reject`, { csrf: benWeb.csrf, digest: digestOf(change.id) })).status).toBe(303);
    expect(instance.store.changes.pending()).toEqual([]);
    expect(instance.store.journalists.get('carl').fingerprint).toBe(carl.fingerprint);
    expect(actions()[0]).toBe('change.reject');
  });

  test('disabling an administrator waits for the other; a bad change id is a 404', async () => {
    const res = await anaWeb.post(`/admin/journalists/${ben.id}/disable`, { csrf: anaWeb.csrf });
    expect(res.status).toBe(303);
    expect(instance.store.journalists.get('ben').active).toBe(true);
    const change = instance.store.changes.pending().find((c) => c.kind === 'admin')!;
    expect(await text(benWeb, '/admin/changes')).toContain('Disable the administrator <bdi>ben</bdi>.');
    // The requester may withdraw it.
    expect((await anaWeb.post(`/admin/changes/${change.id}/reject`, { csrf: anaWeb.csrf, digest: digestOf(change.id) })).status).toBe(303);
    expect(instance.store.changes.pending()).toEqual([]);
    expect((await benWeb.post('/admin/changes/999999/confirm', { csrf: benWeb.csrf })).status).toBe(404);
    expect((await benWeb.post('/admin/changes/x1/confirm', { csrf: benWeb.csrf })).status).toBe(404);
  });

  test('demoting an administrator waits for the other; nobody demotes themselves or someone who is not one', async () => {
    expect(await text(anaWeb, '/admin/journalists')).toContain(`action="/admin/journalists/${ben.id}/demote"`);
    expect((await benWeb.post(`/admin/journalists/${ben.id}/demote`, { csrf: benWeb.csrf })).status).toBe(409);
    expect((await anaWeb.post(`/admin/journalists/${instance.store.journalists.get('carl').id}/demote`, { csrf: anaWeb.csrf })).status).toBe(409);
    expect(instance.store.changes.pending()).toEqual([]);
    expect((await anaWeb.post(`/admin/journalists/${ben.id}/demote`, { csrf: anaWeb.csrf })).status).toBe(303);
    expect(instance.store.journalists.get('ben').isAdmin).toBe(true);
    const change = instance.store.changes.pending().find((c) => c.kind === 'admin')!;
    expect(await text(benWeb, '/admin/changes')).toContain('Make <bdi>ben</bdi> no longer an administrator.');
    expect((await benWeb.post(`/admin/changes/${change.id}/reject`, { csrf: benWeb.csrf, digest: digestOf(change.id) })).status).toBe(303);
    expect(instance.store.journalists.get('ben').isAdmin).toBe(true);
  });

  test('"Replace my key" on /account: the passphrase again, then a key change the other administrator confirms', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Ben 2' });
    const fp = (await readJournalistKey(publicKey)).fingerprint;
    const wrong = await benWeb.post('/account/key', { csrf: benWeb.csrf, public_key: publicKey, passphrase: 'not it at all' });
    expect(wrong.status).toBe(400);
    expect(instance.store.changes.pending()).toEqual([]);
    const asked = await benWeb.post('/account/key', { csrf: benWeb.csrf, public_key: publicKey, passphrase: ben.passphrase });
    expect(asked.status).toBe(303);
    const account = await text(benWeb, '/account');
    expect(account).toContain(`Your new key <code>${grouped(fp)}</code> is waiting for a second administrator`);
    expect(instance.store.journalists.get('ben').fingerprint).toBe(ben.fingerprint);
    const change = instance.store.changes.pending().find((c) => c.kind === 'key')!;
    expect((await anaWeb.post(`/admin/changes/${change.id}/confirm`, { csrf: anaWeb.csrf, digest: digestOf(change.id) })).status).toBe(303);
    expect(instance.store.journalists.get('ben').fingerprint).toBe(fp);
    expect(await offeredFingerprints()).toContain(fp);
    expect(await offeredFingerprints()).not.toContain(ben.fingerprint);
  });

  // Last: it logs ana out for good.
  test('a reset of an administrator, once confirmed, gives the confirming administrator the new enrolment link', async () => {
    expect((await benWeb.post(`/admin/journalists/${ana.id}/reset`, { csrf: benWeb.csrf })).status).toBe(303);
    expect(instance.store.journalists.get('ana').enrolled).toBe(true);
    const change = instance.store.changes.pending().find((c) => c.kind === 'admin')!;
    const confirmed = await anaWeb.post(`/admin/changes/${change.id}/confirm`, { csrf: anaWeb.csrf, digest: digestOf(change.id) });
    expect(confirmed.status).toBe(200);
    expect(await confirmed.text()).toMatch(/<code id="notice-code">[^<]*\/enrol\/[\w-]+<\/code>/);
    expect(instance.store.journalists.get('ana').enrolled).toBe(false);
    expect((await anaWeb.get('/admin/changes')).status).toBe(303); // logged out
  });
});

// Final review of issue 23: administrators joined by an enrolment link (one added the other on the
// web) can never confirm each other's changes; the page says so, and who can, instead of a Confirm that fails.
describe('an administrator added on the web by another', () => {
  test('the Changes page offers the one who added them no Confirm for their change, says why, and the server still refuses it', async () => {
    const [cy, dy] = [await makeAccount(instance, 'cy', { isAdmin: true }), await makeAccount(instance, 'dy', { isAdmin: true })];
    instance.store.journalists.createEnrolment(cy.id, dy.id); // as the web's "add journalist" does: dy was shown cy's link
    const desk = instance.store.desks.create('linked', {}, 'cli');
    const r = await instance.store.changes.request('member', { deskId: desk.id, journalistId: cy.id }, cy.id);
    expect(r.applied).toBe(false);
    const id = (r as { id: number }).id;
    expect(instance.store.changes.confirmBlock(instance.store.changes.get(id), dy.id)).toBe('linked');
    const web = await login(dy);
    const page = await text(web, '/admin/changes');
    const at = page.indexOf(`id="change-${id}"`);
    const item = page.slice(at, page.indexOf('</li>', at));
    expect(at).toBeGreaterThan(0);
    expect(item).toContain('so you cannot confirm their changes');
    expect(item).toContain('sealdrop journalist add --admin');
    expect(item).not.toContain(`/admin/changes/${id}/confirm`);
    expect(item).toContain(`/admin/changes/${id}/reject`);
    const refused = await web.post(`/admin/changes/${id}/confirm`, { csrf: web.csrf, digest: digestOf(id) });
    expect(refused.status).toBe(409);
    expect(instance.store.desks.isMember(desk.id, cy.id)).toBe(false);
  });
});

// A change naming what is gone (a desk, a journalist, a conversation) is dropped by a clean-up of
// its own, audited by the system with a count, at start-up and before the Changes page lists;
// reading the list (changes.pending) deletes nothing.
describe('changes naming what is gone', () => {
  const staleMember = (dataDir: string, by: number) => {
    const db = new Database(path.join(dataDir, 'sealdrop.sqlite'));
    db.prepare("INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES ('member', ?, ?, '2026-12-06')").run(JSON.stringify({ deskId: 999, journalistId: by }), by);
    db.close();
  };
  const pendingRows = (i: Instance) => (i.rows().pending_changes as unknown[]).length;

  test('the Changes page drops them before listing, with one system entry that counts them', async () => {
    const ed = await makeAccount(instance, 'ed', { isAdmin: true });
    const web = await login(ed);
    const before = pendingRows(instance);
    staleMember(instance.config.dataDir, ed.id);
    instance.store.changes.pending(); // a read: nothing goes
    expect(pendingRows(instance)).toBe(before + 1);
    const cleanups = () => instance.store.audit.withPrefix('change.cleanup');
    expect(cleanups()).toEqual([]);
    await text(web, '/admin/changes');
    expect(pendingRows(instance)).toBe(before);
    expect(cleanups()).toEqual([expect.objectContaining({ actor: 'system', detail: { changes: 1 } })]);
  });

  test('start-up drops them, with one system entry that counts them', async () => {
    const k = await readJournalistKey((await generateKeyPair({ name: 'ada' })).publicKey);
    // Written before the server starts: an administrator, and a change for a desk that does not exist.
    const started = await startInstance({}, {}, (dir) => {
      const store = openStore(dir);
      const ada = store.journalists.add({ username: 'ada', fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.armored, isAdmin: true });
      store.close();
      staleMember(dir, ada.id);
    });
    try {
      expect(pendingRows(started)).toBe(0);
      expect(started.store.audit.withPrefix('change.cleanup')).toEqual([expect.objectContaining({ actor: 'system', detail: { changes: 1 } })]);
    } finally {
      await started.stop();
    }
  });
});
