import { generateKeyPair } from '../../common/envelope/index.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureService } from '../../server/tor/services.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

// A drop whose onion services exist (made by `sealdrop onion`), reached here without tor: what the
// pages say about the onion address, and the web admin's share of managing journalists' access keys.
let mirror: Instance;
let plain: Instance;
let sourceOnion = '';
let mirrorOnion = '';
const withOnions = (dataDir: string) => {
  ensureService(dataDir, 'journalist');
  return ensureService(dataDir, 'source');
};

beforeAll(async () => {
  mirror = await startInstance({ SEALDROP_ONION_LOCATION: '1' }, {}, (dir) => void (mirrorOnion = withOnions(dir)));
  plain = await startInstance({}, {}, (dir) => void (sourceOnion = withOnions(dir)));
  for (const i of [mirror, plain]) await makeAccount(i, 'root', { isAdmin: true });
});
afterAll(() => Promise.all([mirror?.stop(), plain?.stop()]));

// fetch() will not send a Host header of its own choosing; tor sends the onion address as Host.
function get(base: string, host?: string): Promise<{ headers: { get(name: string): string | null }; text(): Promise<string> }> {
  return new Promise((resolve, reject) => {
    http.get(`${base}/`, host ? { headers: { host } } : {}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c)).on('end', () => {
        const headers = { get: (name: string) => (res.headers[name] === undefined ? null : String(res.headers[name])) };
        resolve({ headers, text: async () => Buffer.concat(chunks).toString() });
      });
    }).on('error', reject);
  });
}

describe('the onion address on the source side', () => {
  test('a declared clearnet mirror sends Onion-Location and shows the address; the onion itself does neither', async () => {
    const onMirror = await get(mirror.sourceUrl);
    expect(onMirror.headers.get('onion-location')).toBe(`http://${mirrorOnion}/`);
    expect(await onMirror.text()).toContain(`http://${mirrorOnion}/`);
    const viaOnion = await get(mirror.sourceUrl, mirrorOnion);
    expect(viaOnion.headers.get('onion-location')).toBeNull();
    expect(await viaOnion.text()).not.toContain('onion-address');
  });

  test('without SEALDROP_ONION_LOCATION no header is sent, but a source who came another way still reads the address', async () => {
    const res = await get(plain.sourceUrl);
    expect(res.headers.get('onion-location')).toBeNull();
    expect(await res.text()).toContain(`<bdi class="onion-address" dir="ltr">http://${sourceOnion}/</bdi>`);
  });
});

describe('the web admin and onion access keys', () => {
  let admin: Awaited<ReturnType<typeof makeAccount>>;
  let session: StaffClient;
  const authDir = () => path.join(plain.config.dataDir, 'tor/journalist/authorized_clients');
  const authLines = () => readdirSync(authDir()).map((f) => readFileSync(path.join(authDir(), f), 'utf8').trim());

  beforeAll(async () => {
    admin = await makeAccount(plain, 'kim', { isAdmin: true });
    session = new StaffClient(plain.journalistUrl);
    expect((await session.login('kim', admin.passphrase, admin.code())).status).toBe(303);
  });

  test('the admin area shows the source address as text and as a QR code', async () => {
    const html = await (await session.get('/admin/address')).text();
    expect(html).toContain(`<code id="source-onion" class="onion-address" dir="ltr">http://${sourceOnion}/</code>`);
    expect(html).toMatch(/<figure class="qr"><svg[^>]*>/);
    expect(await (await session.get('/admin/journalists')).text()).toMatch(/no Tor access key/);
  });

  test('adding a journalist hands over the access key once with the link; disabling takes it away', async () => {
    const { publicKey } = await generateKeyPair({ name: 'Lee' });
    const added = await (await session.post('/admin/journalists', { csrf: session.csrf, username: 'lee', public_key: publicKey })).text();
    const line = /<code id="notice-access" class="copy">([a-z2-7]{56}):descriptor:x25519:([A-Z2-7]{52})<\/code>/.exec(added);
    expect(line).not.toBeNull();
    expect(authLines()).toHaveLength(1);
    expect(authLines()[0]).toMatch(/^descriptor:x25519:[A-Z2-7]{52}$/);
    expect(JSON.stringify(plain.rows())).not.toContain(line![2]!);
    const lee = plain.store.journalists.get('lee');
    await session.get('/admin');
    expect((await session.post(`/admin/journalists/${lee.id}/disable`, { csrf: session.csrf })).status).toBe(303);
    expect(readdirSync(authDir())).toEqual(['nobody.auth']);
    expect((await session.post(`/admin/journalists/${lee.id}/enable`, { csrf: session.csrf })).status).toBe(303);
    const restored = authLines();
    await session.get('/admin');
    const renewed = await (await session.post(`/admin/journalists/${lee.id}/access`, { csrf: session.csrf })).text();
    expect(renewed).toMatch(/old key no longer opens/);
    expect(authLines()).not.toEqual(restored);
    expect(authLines()).toHaveLength(1);
  });
});
