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
  // What the limiter has seen, so each step waits for the server's own state rather than a sleep:
  // requests that reached it (it admits, queues or refuses at once), and requests that hung up.
  const seen = { arrived: 0, closed: 0 };
  const a = express();
  const count: express.RequestHandler = (_req, res, next) => {
    seen.arrived++;
    // Registered before the limiter's own listener, which runs in the same emit.
    res.once('close', () => seen.closed++);
    next();
  };
  a.post('/x', count, concurrencyLimit(1, waiting), (_req, res) => void release.push(() => res.status(204).end()));
  a.use(errorHandler());
  const server = a.listen(0);
  await new Promise((r) => server.once('listening', r));
  close = () => server.close();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  const post = () => fetch(url, { method: 'POST' }).then((r) => r.status);
  const poll = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 10));
  };
  const held = (n: number) => poll(() => release.length >= n);
  return { post, release, held, url, seen, poll };
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
  const { post, release, held, seen, poll } = await app({ maxWaiting: 1, waitMs: 400 });
  const first = post();
  await held(1);
  const second = post(); // waits
  await poll(() => seen.arrived === 2); // queued (the limiter decides synchronously on arrival)
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
  const { post, release, held, url, seen, poll } = await app({ maxWaiting: 1, waitMs: 5_000 });
  const first = post();
  await held(1);
  const gone = new AbortController();
  const abandoned = fetch(url, { method: 'POST', signal: gone.signal }).catch(() => 'aborted');
  await poll(() => seen.arrived === 2); // queued
  gone.abort();
  expect(await abandoned).toBe('aborted');
  await poll(() => seen.closed === 1); // the server has seen it hang up
  const third = post(); // the queue's one place is free again: it waits rather than being refused
  await poll(() => seen.arrived === 3);
  release.shift()!();
  await held(1); // the slot went to the third, not to the one that left
  release.shift()!();
  expect([await first, await third]).toEqual([204, 204]);
  expect(release).toHaveLength(0);
});
