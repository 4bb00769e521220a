import { afterAll, beforeAll, expect, test } from 'vitest';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Monitoring asks the journalist listener whether the drop is up; the answer says nothing else
// (no version, no counts), and the public source listener does not have it at all.
let instance: Instance;

beforeAll(async () => {
  instance = await startInstance();
});
afterAll(async () => {
  await instance?.stop();
});

test('GET /healthz on the journalist listener: "ok", with the usual security headers, nothing more', async () => {
  const res = await fetch(`${instance.journalistUrl}/healthz`);
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('ok');
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-powered-by')).toBeNull();
  expect(res.headers.get('set-cookie')).toBeNull(); // no session is made for a probe
});

test('the source listener has no /healthz', async () => {
  expect((await fetch(`${instance.sourceUrl}/healthz`)).status).toBe(404);
});

test('a database that no longer answers makes it a 503', async () => {
  const broken = await startInstance();
  try {
    broken.store.close();
    const res = await fetch(`${broken.journalistUrl}/healthz`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('unavailable');
  } finally {
    await broken.stop(); // closing twice is harmless
  }
});
