import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { concurrencyLimit } from '../../../server/http/limits.ts';
import { errorHandler } from '../../../server/http/errors.ts';

// The upload slots: a newcomer finding every slot busy is refused at once, or, for a form that
// cannot retry, waits in a short bounded queue for its turn.
let close: (() => void) | null = null;
afterEach(() => close?.());

async function app(waiting: { maxWaiting: number; waitMs: number } | null) {
  const release: (() => void)[] = [];
  const a = express();
  a.post('/x', concurrencyLimit(1, waiting), (_req, res) => void release.push(() => res.status(204).end()));
  a.use(errorHandler());
  const server = a.listen(0);
  await new Promise((r) => server.once('listening', r));
  close = () => server.close();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  const post = () => fetch(url, { method: 'POST' }).then((r) => r.status);
  const held = async (n: number) => {
    while (release.length < n) await new Promise((r) => setTimeout(r, 10));
  };
  return { post, release, held, url };
}

test('without a queue, a request finding every slot busy is refused at once with a 503', async () => {
  const { post, release, held } = await app(null);
  const first = post();
  await held(1);
  expect(await post()).toBe(503);
  release.shift()!();
  expect(await first).toBe(204);
});

test('with a queue, it waits for the slot and is served; past the queue length or the wait, a 503', async () => {
  const { post, release, held } = await app({ maxWaiting: 1, waitMs: 400 });
  const first = post();
  await held(1);
  const second = post(); // waits
  await new Promise((r) => setTimeout(r, 50));
  expect(await post()).toBe(503); // the queue holds one
  release.shift()!();
  await held(1);
  release.shift()!();
  expect([await first, await second]).toEqual([204, 204]);
  const third = post();
  await held(1);
  const started = Date.now();
  expect(await post()).toBe(503); // waited its 400 ms, then refused
  expect(Date.now() - started).toBeGreaterThanOrEqual(350);
  release.shift()!();
  expect(await third).toBe(204);
});

test('a client that hangs up while waiting gives its place back at once, and never takes a slot', async () => {
  const { post, release, held, url } = await app({ maxWaiting: 1, waitMs: 5_000 });
  const first = post();
  await held(1);
  const gone = new AbortController();
  const abandoned = fetch(url, { method: 'POST', signal: gone.signal }).catch(() => 'aborted');
  await new Promise((r) => setTimeout(r, 100));
  gone.abort();
  expect(await abandoned).toBe('aborted');
  await new Promise((r) => setTimeout(r, 100));
  const third = post(); // the queue's one place is free again: it waits rather than being refused
  await new Promise((r) => setTimeout(r, 100));
  release.shift()!();
  await held(1); // the slot went to the third, not to the one that left
  release.shift()!();
  expect([await first, await third]).toEqual([204, 204]);
  expect(release).toHaveLength(0);
});
