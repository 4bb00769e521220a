import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { newSource } from '../helpers/sources.ts';

// Administration through the web: the same rows the CLI manages.
let instance: Instance;
let admin: Awaited<ReturnType<typeof makeAccount>>;
let session: StaffClient;

beforeAll(async () => {
  instance = await startInstance();
  admin = await makeAccount(instance, 'root', { isAdmin: true });
  session = new StaffClient(instance.journalistUrl);
  expect((await session.login('root', admin.passphrase, admin.code())).status).toBe(303);
  await session.get('/admin');
});
afterAll(() => instance?.stop());

const enrolLink = (html: string) => /<code id="notice-code">[^<]*(\/enrol\/[\w-]+)<\/code>/.exec(html)?.[1];

async function enrol(path: string, passphrase: string): Promise<{ status: number; secret: string }> {
  const c = new StaffClient(instance.journalistUrl);
  const page = await (await c.get(path)).text();
  const secret = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(page)![1]!.replace(/ /g, '');
  const res = await c.post(path, { csrf: c.csrf, passphrase, passphrase2: passphrase, code: totpCode(secret, currentStep()) });
  return { status: res.status, secret };
}

describe('journalists managed on the web', () => {
  test('add → one-time enrolment link → the new journalist sets a passphrase and TOTP and logs in', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Ivan' });
    const res = await session.post('/admin/journalists', { csrf: session.csrf, username: 'ivan', public_key: publicKey });
    expect(res.status).toBe(200);
    const notice = await res.text();
    const link = enrolLink(notice)!;
    expect(link).toBeDefined();
    // Shown once: no language switch to click away from the link by (the inbox has one).
    expect(notice).not.toContain('class="languages"');
    expect(await (await session.get('/')).text()).toContain('class="languages"');
    const passphrase = 'he reads the tide tables at dawn';
    const weak = await enrol(link, 'short');
    expect(weak.status).toBe(400);
    const { status, secret } = await enrol(link, passphrase);
    expect(status).toBe(200);
    expect((await new StaffClient(instance.journalistUrl).get(link)).status).toBe(404); // used up
    const ivan = new StaffClient(instance.journalistUrl);
    expect((await ivan.login('ivan', passphrase, totpCode(secret, currentStep() + 1))).status).toBe(303);
    const keys = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { keys: string[] }).keys;
    expect(keys).toHaveLength(2);
  });

  test('a key that GnuPG 2.2 could not read is refused, and nothing is added', async () => {
    const before = instance.store.journalists.list().length;
    const res = await session.post('/admin/journalists', { csrf: session.csrf, username: 'mallory', public_key: 'not a key' });
    expect(res.status).toBe(400);
    const { publicKey } = await generateKeyPair({ name: 'M' });
    expect((await session.post('/admin/journalists', { csrf: session.csrf, username: 'mallory', public_key: publicKey, admin: 'yes' })).status).toBe(400);
    expect(instance.store.journalists.list().length).toBe(before);
  });

  test('reset clears passphrase and TOTP until the journalist enrols again, and ends their session', async () => {
    const judy = await makeAccount(instance, 'judy');
    const live = new StaffClient(instance.journalistUrl);
    expect((await live.login('judy', judy.passphrase, judy.code(-1))).status).toBe(303);
    const res = await session.post(`/admin/journalists/${judy.id}/reset`, { csrf: session.csrf });
    expect(res.status).toBe(200);
    expect(enrolLink(await res.text())).toMatch(/^\/enrol\//);
    expect((await live.get('/')).status).toBe(303);
    expect((await new StaffClient(instance.journalistUrl).login('judy', judy.passphrase, judy.code())).status).toBe(401);
  });

  test('replace key: new submissions must be encrypted to the new key', async () => {
    const ken = await makeAccount(instance, 'ken');
    const next = await generateKeyPair({ name: 'Ken 2' });
    expect((await session.post(`/admin/journalists/${ken.id}/key`, { csrf: session.csrf, public_key: next.publicKey })).status).toBe(303);
    const stored = instance.store.journalists.byId(ken.id);
    expect(stored.fingerprint).toBe((await readJournalistKey(next.publicKey)).fingerprint);
  });

  test('disable, enable and remove end live sessions; an admin cannot disable or remove themselves', async () => {
    const leo = await makeAccount(instance, 'leo');
    const live = new StaffClient(instance.journalistUrl);
    expect((await live.login('leo', leo.passphrase, leo.code())).status).toBe(303);
    expect((await session.post(`/admin/journalists/${leo.id}/disable`, { csrf: session.csrf })).status).toBe(303);
    expect(instance.store.journalists.byId(leo.id).active).toBe(false);
    expect((await live.get('/')).status).toBe(303); // logged out
    expect((await session.post(`/admin/journalists/${leo.id}/enable`, { csrf: session.csrf })).status).toBe(303);
    expect(instance.store.journalists.byId(leo.id).active).toBe(true);
    expect((await session.post(`/admin/journalists/${leo.id}/remove`, { csrf: session.csrf })).status).toBe(303);
    expect(instance.store.journalists.list().map((j) => j.username)).not.toContain('leo');
    expect((await session.post(`/admin/journalists/${admin.id}/disable`, { csrf: session.csrf })).status).toBe(409);
    expect((await session.post(`/admin/journalists/${admin.id}/remove`, { csrf: session.csrf })).status).toBe(409);
  });
});

describe('deleting from the inbox', () => {
  async function submission(): Promise<string> {
    const keys = (await Promise.all(instance.store.journalists.active().map((j) => readJournalistKey(j.publicKey)))).map((k) => k.key);
    const source = newSource(instance.store);
    const id = instance.store.submissions.create(source.id, 1);
    await instance.store.submissions.putPart(id, 1, await encryptObject({ data: new Uint8Array(5), recipients: keys }));
    await instance.store.submissions.putManifest(id, await encryptObject({ data: new Uint8Array(5), recipients: keys }));
    instance.store.submissions.complete(id);
    return id;
  }

  test('a submission, after confirmation, removes its stored objects', async () => {
    const id = await submission();
    const before = (await instance.objectFiles()).length;
    expect(await (await session.get(`/submissions/${id}/delete`)).text()).toContain('Yes, delete permanently');
    expect((await session.post(`/submissions/${id}/delete`, { csrf: session.csrf })).status).toBe(303);
    expect((await instance.objectFiles()).length).toBe(before - 2);
    expect((await session.get(`/submissions/${id}/manifest.pgp`)).status).toBe(404);
  });

  test('a whole source', async () => {
    const id = await submission();
    const sourceId = (instance.rows().submissions as { id: string; source_id: string }[]).find((s) => s.id === id)!.source_id;
    expect((await session.post(`/sources/${sourceId}/delete`, { csrf: session.csrf })).status).toBe(303);
    expect((instance.rows().sources as { id: string }[]).map((s) => s.id)).not.toContain(sourceId);
  });
});
