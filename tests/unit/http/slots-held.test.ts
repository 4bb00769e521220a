import express from 'express';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { concurrencyLimit } from '../../../server/http/limits.ts';
import { errorHandler } from '../../../server/http/errors.ts';

// Security review, finding 4: a route that takes its slot over (the folded send: its body is
// written after the client may have gone) frees it when it has settled, not when the client hangs
// up; otherwise a client that sends a whole body and hangs up frees its slot while its body is held.
let close: (() => void) | null = null;
afterEach(() => close?.());

test("a client that hangs up keeps its slot taken until the route settles; then the slot is free", async () => {
  const settle: (() => void)[] = [];
  const seen = { reached: 0, closed: 0 };
  const slots = concurrencyLimit(1);
  const a = express();
  a.post('/x', (_req, res, next) => (res.once('close', () => seen.closed++), next()), slots, (req, res) => {
    // The first holds its slot as fold does; any later one is answered at once.
    if (++seen.reached > 1) return void res.status(204).end();
    const free = slots.takeOver(req);
    settle.push(() => (free(), res.status(204).end()));
  });
  a.use(errorHandler());
  const server = a.listen(0);
  await new Promise((r) => server.once('listening', r));
  close = () => server.close();
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  const poll = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 10));
  };
  const gone = new AbortController();
  const hungUp = fetch(url, { method: 'POST', body: 'x', signal: gone.signal }).catch(() => 'aborted');
  await poll(() => seen.reached === 1);
  gone.abort();
  expect(await hungUp).toBe('aborted');
  await poll(() => seen.closed === 1); // the server has seen it hang up
  expect((await fetch(url, { method: 'POST' })).status).toBe(503); // its route still holds the body: the slot is taken
  expect(seen.reached).toBe(1);
  settle.shift()!(); // the route has settled
  expect((await fetch(url, { method: 'POST' })).status).toBe(204);
});
