import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Who can read what (issue 23): every journalist sees each change to the keys new material is
// encrypted to, dated to the day only; at login they are told when there is one they have not seen.
let instance: Instance;
let ana: Awaited<ReturnType<typeof makeAccount>>;
let joe: Awaited<ReturnType<typeof makeAccount>>;

const NOTICE = 'Who can read what has changed since you last logged in: see what changed.';
const grouped = (fp: string) => fp.match(/.{4}/g)!.join(' ');
/**
 * Logs in and returns the client and the first page it lands on. A TOTP code is used once, and the
 * server accepts the steps before and after the current one: each journalist logs in at most three
 * times here, at steps -1, 0 and +1, in that order.
 */
async function login(who: Awaited<ReturnType<typeof makeAccount>>, step: -1 | 0 | 1): Promise<{ c: StaffClient; first: string }> {
  const c = new StaffClient(instance.journalistUrl);
  const res = await c.login(who.username, who.passphrase, who.code(step));
  expect(res.status).toBe(303);
  return { c, first: await (await c.get(res.headers.get('location')!)).text() };
}

beforeAll(async () => {
  instance = await startInstance();
  ana = await makeAccount(instance, 'ana', { isAdmin: true });
  joe = await makeAccount(instance, 'joe');
});
afterAll(() => instance?.stop());

describe('/access', () => {
  test('no notice at login while nothing changed; the nav links to the page, which says so', async () => {
    const { c, first } = await login(joe, -1);
    expect(first).not.toContain(NOTICE);
    expect(first).toContain('<a href="/access">Who can read</a>');
    const html = await (await c.get('/access')).text();
    expect(html).toContain('<h1>Who can read what</h1>');
    expect(html).toContain('No changes yet.');
  });

  test('after a change: told at login, with a link; the page lists it newest first, by day only; then seen', async () => {
    const d = instance.store.desks.create('tips', {}, 'cli');
    await instance.store.changes.request('member', { deskId: d.id, journalistId: joe.id }, ana.id);
    instance.store.desks.removeMember(d.id, joe.id, { username: 'ana' });
    const { c, first } = await login(joe, 0);
    expect(first).toContain(`<p class="notice" role="status"><a href="/access">${NOTICE}</a></p>`);
    const html = await (await c.get('/access')).text();
    const [removed, added] = [html.indexOf('A desk member removed'), html.indexOf('A desk member added')];
    expect(removed).toBeGreaterThan(-1);
    expect(added).toBeGreaterThan(removed); // newest first
    expect(html).toContain(grouped(joe.fingerprint));
    expect(html).toContain('Desk: <bdi>tips</bdi>');
    expect(html).toContain('Journalist: <bdi>joe</bdi>');
    expect(html).toContain('Asked by <bdi>ana</bdi>');
    // The day, never the time the audit entry holds for a staff action.
    const stamps = instance.store.audit.withPrefix('access.').map((e) => e.at);
    expect(stamps[0]).toMatch(/T\d\d:\d\d:\d\dZ$/);
    for (const at of stamps) {
      expect(html).toContain(`<span class="day" dir="ltr">${at.slice(0, 10)}</span>`);
      expect(html).not.toContain(at.slice(11, 19));
    }
    expect(html).not.toMatch(/\d\d:\d\d:\d\d/);
    // Seen: the next login says nothing.
    expect((await login(joe, 1)).first).not.toContain(NOTICE);
  });

  test('another journalist has their own mark: told until they open the page themselves, and again after a new change', async () => {
    const { c, first } = await login(ana, -1);
    expect(first).toContain(NOTICE);
    expect(await (await c.get('/access')).text()).toContain('A desk member removed');
    instance.store.desks.remove(instance.store.desks.get('tips').id, 'cli');
    expect((await login(ana, 0)).first).not.toContain(NOTICE); // removing an empty desk is not an access change
    await instance.store.changes.request('admin', { journalistId: joe.id, action: 'disable' }, ana.id);
    const again = await login(ana, 1);
    expect(again.first).toContain(NOTICE);
    expect(await (await again.c.get('/access')).text()).toContain('An account disabled');
  });

  test('/access needs a login', async () => {
    expect((await new StaffClient(instance.journalistUrl).get('/access')).status).toBe(303);
  });
});
