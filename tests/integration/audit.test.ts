import Database from 'better-sqlite3';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import type { AuditEntry } from '../../server/store/index.ts';
import { checkInSlices } from '../../server/audit/check.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loggedIn, makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// The audit log (issue 23): each staff action on the web appends its entry, with the right actor,
// action and detail, and nothing a source sent or is called ever reaches it.
let instance: Instance;
let admin: Awaited<ReturnType<typeof makeAccount>>;
let session: StaffClient;

beforeAll(async () => {
  instance = await startInstance();
  ({ account: admin, client: session } = await loggedIn(instance, 'root', { isAdmin: true }));
});
afterAll(() => instance?.stop());

/** The entries appended while `act` ran, oldest first. */
async function appended(act: () => Promise<unknown>): Promise<AuditEntry[]> {
  const before = instance.store.audit.head().seq;
  await act();
  return instance.store.audit.entries(before);
}
const brief = (entries: AuditEntry[]) => entries.map((e) => ({ actor: e.actor, action: e.action, detail: e.detail }));
/** Every byte of every audit row, as stored. */
const wholeLog = () => JSON.stringify(instance.rows().audit_log);

/** A complete one-part submission in a new conversation; returns the ids a byte search looks for. */
async function conversation(n: number) {
  const s = newSource(instance.store);
  const id = instance.store.submissions.create(s.id, 1);
  await instance.store.submissions.putPart(id, 1, new Uint8Array([n]));
  await instance.store.submissions.putManifest(id, new Uint8Array([n]));
  instance.store.submissions.complete(id);
  return { sourceId: s.id, designation: s.designation, submissionId: id };
}

describe('logins and the account', () => {
  test('a login that succeeds, one that fails (its username, never the passphrase or code) and a logout', async () => {
    const c = new StaffClient(instance.journalistUrl);
    const wrongPassphrase = 'root guesses at the harbour wall';
    const code = admin.code();
    const failed = await appended(async () => expect((await c.login('root', wrongPassphrase, code)).status).toBe(401));
    expect(brief(failed)).toEqual([{ actor: 'anonymous', action: 'login.failed', detail: { username: 'root' } }]);
    const unknown = await appended(async () => expect((await c.login('Nobody-Here', 'x', '000000')).status).toBe(401));
    expect(brief(unknown)).toEqual([{ actor: 'anonymous', action: 'login.failed', detail: { username: 'nobody-here' } }]);
    const ok = await appended(async () => expect((await c.login('root', admin.passphrase, admin.code(1))).status).toBe(303));
    expect(brief(ok)).toEqual([{ actor: 'journalist:root', action: 'login.ok', detail: {} }]);
    await c.get('/');
    const out = await appended(async () => expect((await c.post('/logout', { csrf: c.csrf })).status).toBe(303));
    expect(brief(out)).toEqual([{ actor: 'journalist:root', action: 'logout', detail: {} }]);
    const log = wholeLog();
    for (const secret of [wrongPassphrase, admin.passphrase, code]) expect(log).not.toContain(secret);
    // Staff actions are dated to the second.
    expect(ok[0]!.at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
  });

  test('account: the auto-lock minutes, and where notices go (whether by mail and encrypted, never the address)', async () => {
    const lock = await appended(() => session.post('/account', { csrf: session.csrf, email: '', lock_minutes: '45' }));
    expect(brief(lock)).toEqual([{ actor: 'journalist:root', action: 'account.lock', detail: { minutes: 45 } }]);
    const same = await appended(() => session.post('/account', { csrf: session.csrf, email: '', lock_minutes: '45' }));
    expect(same).toEqual([]); // nothing changed, nothing recorded
    const mail = await appended(() => session.post('/account', { csrf: session.csrf, email: 'root@newsroom.example', encrypt: '1', lock_minutes: '45', passphrase: admin.passphrase }));
    expect(brief(mail)).toEqual([{ actor: 'journalist:root', action: 'account.notify', detail: { mail: true, encrypt: true } }]);
    expect(wholeLog()).not.toContain('root@newsroom.example');
  });

  test('enrolment: the new journalist setting a passphrase and code is recorded as theirs', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Ines' });
    const added = await appended(async () => {
      const notice = await (await session.post('/admin/journalists', { csrf: session.csrf, username: 'ines', public_key: publicKey })).text();
      const link = /<code id="notice-code">[^<]*(\/enrol\/[\w-]+)<\/code>/.exec(notice)![1]!;
      const c = new StaffClient(instance.journalistUrl);
      const page = await (await c.get(link)).text();
      const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '');
      const passphrase = 'a lantern swings above the quiet ferry dock';
      expect((await c.post(link, { csrf: c.csrf, passphrase, passphrase2: passphrase, code: totpCode(secret, currentStep()) })).status).toBe(200);
    });
    expect(added.find((e) => e.action === 'journalist.add')).toMatchObject({ actor: 'journalist:root', detail: { journalist: 'ines' } });
    expect(brief(added).at(-1)).toEqual({ actor: 'journalist:ines', action: 'account.passphrase', detail: { via: 'enrolment' } });
  });
});

describe('administration', () => {
  test('retention and branding (texts, logo removed) are recorded with what changed', async () => {
    const retention = await appended(() => session.post('/admin/retention', { csrf: session.csrf, days: '30' }));
    expect(brief(retention)).toEqual([{ actor: 'journalist:root', action: 'settings.retention', detail: { days: 30 } }]);
    const back = await appended(() => session.post('/admin/retention', { csrf: session.csrf, days: '' }));
    expect(back[0]!.detail).toEqual({ days: 'server' });
    const texts = await appended(() => session.post('/admin/branding', { csrf: session.csrf, lang: 'ug', name: 'Gazette', welcome: '', guidelines: '' }));
    expect(brief(texts)).toEqual([{ actor: 'journalist:root', action: 'settings.branding', detail: { language: 'ug', what: 'texts' } }]);
    const logo = await appended(() => session.post('/admin/branding/logo/remove', { csrf: session.csrf }));
    expect(brief(logo)).toEqual([{ actor: 'journalist:root', action: 'settings.branding', detail: { what: 'logo removed' } }]);
  });

  test('a refused action records nothing', async () => {
    expect(await appended(async () => expect((await session.post('/admin/retention', { csrf: session.csrf, days: 'forever' })).status).toBe(400))).toEqual([]);
  });

  test('disabling and removing a journalist are recorded, naming the journalist', async () => {
    const zed = await makeAccount(instance, 'zed');
    const disabled = await appended(() => session.post(`/admin/journalists/${zed.id}/disable`, { csrf: session.csrf }));
    expect(disabled.some((e) => e.actor === 'journalist:root' && /^(journalist\.disable|access\.admin)$/.test(e.action) && e.detail.journalist === 'zed')).toBe(true);
    const removed = await appended(() => session.post(`/admin/journalists/${zed.id}/remove`, { csrf: session.csrf }));
    expect(removed.some((e) => e.actor === 'journalist:root' && /^(journalist\.remove|access\.admin)$/.test(e.action) && e.detail.journalist === 'zed')).toBe(true);
  });
});

describe('deletions hold no source data', () => {
  test('a conversation, an item and a bulk delete are recorded (the bulk with how many conversations), and nothing of the sources is in the log', async () => {
    const whole = await conversation(1);
    const item = await conversation(2);
    const many = [await conversation(3), await conversation(4)];
    const label = Buffer.from('label ciphertext: the minister\'s driver').toString('base64');
    instance.store.sources.setLabel(whole.sourceId, label);
    const one = await appended(() => session.post(`/sources/${whole.sourceId}/delete`, { csrf: session.csrf }));
    expect(brief(one)).toEqual([{ actor: 'journalist:root', action: 'delete.conversation', detail: {} }]);
    const single = await appended(() => session.post(`/submissions/${item.submissionId}/delete`, { csrf: session.csrf }));
    expect(brief(single)).toEqual([{ actor: 'journalist:root', action: 'delete.item', detail: {} }]);
    const bulk = await appended(async () => {
      const body = new URLSearchParams([['csrf', session.csrf], ['action', 'delete'], ['confirmed', '1'], ['return', '/'], ...many.map((m): [string, string] => ['ids', m.sourceId])]);
      const res = await fetch(`${instance.journalistUrl}/conversations/bulk`, { method: 'POST', redirect: 'manual', headers: { cookie: session.cookie, 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' }, body });
      expect(res.status).toBe(303);
    });
    expect(brief(bulk)).toEqual([{ actor: 'journalist:root', action: 'delete.bulk', detail: { conversations: 2 } }]);
    const log = wholeLog();
    for (const c of [whole, item, ...many]) {
      for (const needle of [c.designation, c.sourceId, c.submissionId]) expect(log).not.toContain(needle);
    }
    expect(log).not.toContain(label);
    expect(instance.store.audit.verify()).toBeNull();
  });
});

describe('GET /admin/audit', () => {
  test('administrators only: newest first, the head and "verified intact" at the top, 100 a page', async () => {
    const { client: zoe } = await loggedIn(instance, 'zoe');
    expect((await zoe.get('/admin/audit')).status).toBe(403);
    for (let i = 0; i < 120; i++) instance.store.audit.append({ actor: 'system', action: 'settings.notifications', detail: { n: i } });
    const head = instance.store.audit.head();
    expect(await checkInSlices(instance.store, 7)).toEqual({ broken: null, count: head.seq, head });
    const res = await session.get('/admin/audit');
    expect(res.status).toBe(200);
    const page = await res.text();
    expect(page).toContain('<a href="/admin/audit" aria-current="page">Audit log</a>');
    expect(page).toMatch(/<p id="audit-status" class="notice">Verified intact: \d+ entries, each following from the one before\.<\/p>/);
    expect(page).toContain(`Chain head: entry ${head.seq}, hash <code class="fingerprint">${head.hash}</code>`);
    const seqs = [...page.matchAll(/<li class="audit-entry" id="audit-(\d+)">/g)].map((m) => Number(m[1]));
    expect(seqs).toHaveLength(100);
    expect(seqs[0]).toBe(head.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => b - a));
    expect(page).toContain(`<a href="/admin/audit?before=${seqs[99]}" id="audit-older">Older entries</a>`);
    const older = await (await session.get(`/admin/audit?before=${seqs[99]}`)).text();
    expect(/<li class="audit-entry" id="audit-(\d+)">/.exec(older)?.[1]).toBe(String(seqs[99]! - 1));
    expect(older).toContain('id="audit-newest"');
  });

  test('an entry in words: who, what, when to the second', async () => {
    const retention = instance.store.audit.entries(0, 10_000).find((e) => e.action === 'settings.retention')!;
    const page = await (await session.get(`/admin/audit?before=${retention.seq + 1}`)).text();
    expect(page).toMatch(/<time datetime="\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z">\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC<\/time> · <bdi class="audit-actor">root<\/bdi> · <span class="audit-action">changed how long submissions are kept<\/span>/);
    expect(page).toContain('<li>days: <bdi>30</bdi></li>');
  });

  test('a bad page number is a 400 that says so; a broken chain is said at the top, naming the entry', async () => {
    for (const bad of ['abc', '0', '-1', '1e3']) {
      const res = await session.get(`/admin/audit?before=${bad}`);
      expect(res.status).toBe(400);
      expect(await res.text()).toContain('before must be an entry number');
    }
    const victim = instance.store.audit.entries(0, 5)[4]!;
    const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
    db.prepare('UPDATE audit_log SET detail = ? WHERE seq = ?').run('{"forged":true}', victim.seq);
    db.close();
    const page = await (await session.get('/admin/audit')).text();
    expect(page).toContain(`<p id="audit-status" class="warning" role="alert">Broken at entry ${victim.seq}: its hash does not follow`);
    // The page's walk, a slice at a time, finds what the one-piece check finds.
    expect((await checkInSlices(instance.store, 3)).broken?.seq).toBe(victim.seq);
    expect(await checkInSlices(instance.store, 3)).toEqual(instance.store.audit.check());
  });
});
