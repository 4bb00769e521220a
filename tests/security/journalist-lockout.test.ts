import { afterAll, beforeAll, expect, test } from 'vitest';
import { Throttle } from '../../server/auth/throttle.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Threat: anyone who can reach the journalist login shuts every journalist out for 15 minutes by
// guessing at usernames that do not exist (the global lock trips after 100 failures).
let instance: Instance;
let alice: Awaited<ReturnType<typeof makeAccount>>;
const client = () => new StaffClient(instance.journalistUrl);
const FAILED = 'Wrong username, passphrase or code.';

beforeAll(async () => {
  instance = await startInstance();
  alice = await makeAccount(instance, 'alice');
});
afterAll(() => instance?.stop());

/** Failed logins at `count` made-up usernames, four at a time (each costs the server an Argon2). */
async function guessMadeUp(count: number, prefix: string): Promise<number[]> {
  const statuses: number[] = [];
  let next = 0;
  const loop = async () => {
    while (next < count) {
      const res = await client().login(`${prefix}-${next++}`, 'wrong wrong wrong wrong', '000000');
      statuses.push(res.status);
      if (res.status === 401) expect(await res.text()).toContain(FAILED);
    }
  };
  await Promise.all([loop(), loop(), loop(), loop()]);
  return statuses;
}

test('110 failed logins at made-up usernames lock nobody out', async () => {
  const statuses = await guessMadeUp(110, 'ghost');
  expect(statuses.filter((s) => s !== 401)).toEqual([]);
  const res = await client().login('alice', alice.passphrase, alice.code());
  expect(res.status).toBe(303);
});

test('a made-up username is answered like a real one: the same message, and the same lock after five failures', async () => {
  const bob = await makeAccount(instance, 'bob');
  for (const name of ['bob', 'nobody-by-that-name']) {
    for (let i = 0; i < 5; i++) {
      const res = await client().login(name, 'wrong wrong wrong wrong', '000000');
      expect(res.status).toBe(401);
      expect(await res.text()).toContain(FAILED);
    }
    const locked = await client().login(name, name === 'bob' ? bob.passphrase : 'anything at all here', name === 'bob' ? bob.code() : '000000');
    expect(locked.status).toBe(429);
    expect(await locked.text()).toMatch(/Too many failed attempts/);
  }
});

test('failures at unknown accounts never count towards the global lock; failures at real ones still do', () => {
  const t = new Throttle({ perAccount: 5, global: 3, windowMs: 60_000, lockMs: 60_000 });
  for (let i = 0; i < 50; i++) t.fail(`ghost-${i}`, 1000, false);
  expect(t.waitFor('alice', 2000)).toBe(0);
  ['a', 'b', 'c'].forEach((u) => t.fail(u, 3000, true));
  expect(t.waitFor('alice', 4000)).toBeGreaterThan(0);
  expect(t.waitFor('alice', 64_000)).toBe(0);
});

test('the record of unknown usernames is bounded: a flood of new names neither grows it without end nor frees a real account', () => {
  const t = new Throttle({ perAccount: 5, global: 1000, windowMs: 60_000, lockMs: 60_000, maxUnknown: 100 });
  for (let i = 0; i < 5; i++) t.fail('alice', 1000, true);
  for (let i = 0; i < 10_000; i++) t.fail(`ghost-${i}`, 1000, false);
  expect(t.size).toBeLessThanOrEqual(101);
  expect(t.waitFor('alice', 2000)).toBeGreaterThan(0);
});
