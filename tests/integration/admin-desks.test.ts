import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// Desks on the web (issue 23): created with a slug and texts in each language, members added (a
// change, held where two administrators could confirm it) and removed (at once), deleted after a
// question naming the desk, each step on the audit log.
let instance: Instance;
let ana: Awaited<ReturnType<typeof makeAccount>>;
let web: StaffClient;
let joe: Awaited<ReturnType<typeof makeAccount>>;

const TEXTS = {
  name_en: 'Investigations',
  description_en: 'Long reads, leaked documents',
  'name_zh-Hans': '调查部',
  'description_zh-Hans': '',
  'name_zh-Hant': '',
  'description_zh-Hant': '',
  name_ug: '',
  description_ug: '',
};
const page = async (path = '/admin/desks') => {
  const res = await web.get(path);
  expect(res.status, path).toBe(200);
  return res.text();
};
const post = (path: string, fields: Record<string, string>) => web.post(path, { csrf: web.csrf, ...fields });
const desk = () => instance.store.desks.get('investigations');
const lastAudit = () => instance.store.audit.latest(1)[0]!;

beforeAll(async () => {
  instance = await startInstance();
  ana = await makeAccount(instance, 'ana', { isAdmin: true });
  joe = await makeAccount(instance, 'joe');
  web = new StaffClient(instance.journalistUrl);
  expect((await web.login('ana', ana.passphrase, ana.code())).status).toBe(303);
});
afterAll(() => instance?.stop());

describe('desks', () => {
  test('the section: nav entry current, none yet, a form for the slug and each language', async () => {
    const html = await page();
    expect(html).toContain('<a href="/admin/desks" aria-current="page">Desks</a>');
    expect(html).toContain('No desks yet');
    for (const tag of ['en', 'zh-Hans', 'zh-Hant', 'ug']) expect(html).toContain(`name="name_${tag}"`);
    expect(await page('/admin/journalists')).toContain('href="/admin/desks"');
  });

  test('a malformed slug or an unknown field is refused and nothing is made', async () => {
    expect((await post('/admin/desks', { slug: 'Not A Slug', ...TEXTS })).status).toBe(400);
    expect((await post('/admin/desks', { slug: 'ok', ...TEXTS, name_fr: 'x' })).status).toBe(400);
    expect((await post('/admin/desks', { slug: 'ok', ...TEXTS, name_en: 'x'.repeat(81) })).status).toBe(400);
    expect(instance.store.desks.list()).toEqual([]);
  });

  test('create, then edit its texts: each audited under the administrator', async () => {
    const res = await post('/admin/desks', { slug: 'investigations', ...TEXTS });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/admin/desks');
    expect(desk().texts).toEqual({ en: { name: 'Investigations', description: 'Long reads, leaked documents' }, 'zh-Hans': { name: '调查部', description: '' } });
    expect(lastAudit()).toMatchObject({ actor: 'journalist:ana', action: 'desk.add', detail: { desk: 'investigations' } });
    const html = await page();
    expect(html).toContain('Added the desk <bdi>investigations</bdi>');
    expect(html).toContain('<code>investigations</code> <bdi>Investigations</bdi>');
    expect((await post('/admin/desks', { slug: 'investigations', ...TEXTS })).status).toBe(409); // taken
    expect((await post(`/admin/desks/${desk().id}`, { ...TEXTS, name_en: 'Investigations desk' })).status).toBe(303);
    expect(desk().texts.en?.name).toBe('Investigations desk');
    expect(lastAudit()).toMatchObject({ action: 'access.desk-texts', detail: { desk: 'investigations' } });
    expect((await post('/admin/desks/999999', TEXTS)).status).toBe(404);
  });

  test('with one administrator a member is added at once; removing one is at once and on the access log', async () => {
    const d = desk();
    expect((await post(`/admin/desks/${d.id}/members`, { journalist: String(joe.id) })).status).toBe(303);
    expect(instance.store.desks.isMember(d.id, joe.id)).toBe(true);
    expect(lastAudit()).toMatchObject({ action: 'access.member', detail: { added: [joe.fingerprint], desk: 'investigations', journalist: 'joe' } });
    expect(await page()).toContain('Remove <bdi>joe</bdi> from this desk');
    expect((await post(`/admin/desks/${d.id}/members`, { journalist: String(joe.id), remove: '1' })).status).toBe(303);
    expect(instance.store.desks.isMember(d.id, joe.id)).toBe(false);
    expect(lastAudit()).toMatchObject({ action: 'access.member-removed', detail: { removed: [joe.fingerprint] } });
    expect((await post(`/admin/desks/${d.id}/members`, { journalist: String(joe.id), remove: 'yes' })).status).toBe(400);
    expect((await post(`/admin/desks/${d.id}/members`, { journalist: '0' })).status).toBe(404);
  });

  test('with two administrators a new member is shown as awaiting a second administrator, and is not yet a reader', async () => {
    await makeAccount(instance, 'ben', { isAdmin: true });
    const d = desk();
    const res = await post(`/admin/desks/${d.id}/members`, { journalist: String(joe.id) });
    expect(res.status).toBe(303);
    expect(instance.store.desks.isMember(d.id, joe.id)).toBe(false);
    const html = await page();
    expect(html).toContain('Adding <bdi>joe</bdi> to <bdi>investigations</bdi> is waiting for a second administrator');
    expect(html).toMatch(/<li class="pending"><bdi>joe<\/bdi>: awaiting a second administrator<\/li>/);
    expect(lastAudit()).toMatchObject({ action: 'change.request', detail: { kind: 'member' } });
  });

  test('deleting asks once, naming the desk; a desk with a conversation is refused', async () => {
    const d = desk();
    const question = await page(`/admin/desks/${d.id}/delete`);
    expect(question).toContain('Delete the desk investigations?');
    expect(question).toContain(`action="/admin/desks/${d.id}/delete"`);
    expect(question).toContain('id="confirm" class="danger">Delete investigations</button>');
    const source = newSource(instance.store);
    instance.store.desks.setDesk(source.id, d.id);
    expect((await post(`/admin/desks/${d.id}/delete`, {})).status).toBe(409);
    instance.store.desks.setDesk(source.id, null);
    const res = await post(`/admin/desks/${d.id}/delete`, {});
    expect(res.status).toBe(303);
    expect(instance.store.desks.list()).toEqual([]);
    // The removal, then the held member change that named the desk, dropped with it and counted.
    const [cleanup, removal] = instance.store.audit.latest(2);
    expect(removal).toMatchObject({ actor: 'journalist:ana', action: 'desk.remove', detail: { desk: 'investigations' } });
    expect(cleanup).toMatchObject({ actor: 'system', action: 'change.cleanup', detail: { changes: 1 } });
    expect(instance.store.changes.pending()).toEqual([]);
  });

  test('a journalist who is not an administrator cannot reach the desks', async () => {
    const c = new StaffClient(instance.journalistUrl);
    expect((await c.login('joe', joe.passphrase, joe.code())).status).toBe(303);
    expect((await c.get('/admin/desks')).status).toBe(403);
    expect((await c.post('/admin/desks', { csrf: c.csrf, slug: 'sneaky', ...TEXTS })).status).toBe(403);
  });
});
