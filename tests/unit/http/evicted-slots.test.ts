import express from 'express';
import { request, type ClientRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, expect, test } from 'vitest';
import { concurrencyLimit } from '../../../server/http/limits.ts';
import { watchBody, DEFAULT_BODY_RATE, type BodyMeter } from '../../../server/http/body-rate.ts';
import { errorHandler } from '../../../server/http/errors.ts';

// Security review (finding 2, eviction): a trickler that gives way to a newcomer is cut at once, but
// if its route took its slot over (the no-JS form: parts it began may still be writing), the slot is
// freed only by that route; the newcomer waits in line and gets it then. Otherwise evictions would
// let more routes run at once than the limit allows.
let close: (() => void) | null = null;
afterEach(() => close?.());

// Every body is below this floor once sampled, so every holder may give way.
const RATE = { ...DEFAULT_BODY_RATE, floorBytesPerSecond: 1e12, evictAfterMs: 0 };

test('taken-over holders cut for newcomers keep their slots until their routes settle; the newcomers then get them', async () => {
  const slots = concurrencyLimit(2, { maxWaiting: 4, waitMs: 60_000 });
  const meters: BodyMeter[] = [];
  const settle = new Map<express.Request, () => void>();
  const seen = { live: 0, mostLive: 0, arrived: 0, cut: 0, served: 0 };
  const a = express();
  const count: express.RequestHandler = (req, res, next) => {
    seen.arrived++;
    meters.push(watchBody(req, res, RATE));
    res.once('close', () => req.headers['x-trickle'] && seen.cut++);
    next();
  };
  a.post('/x', count, slots, async (req, res) => {
    seen.mostLive = Math.max(seen.mostLive, ++seen.live);
    if (!req.headers['x-trickle']) return void (seen.live--, seen.served++, res.status(204).end());
    const free = slots.takeOver(req);
    await new Promise<void>((r) => settle.set(req, r)); // its parts, still being written after the cut
    seen.live--;
    free();
  });
  a.use(errorHandler());
  const server = a.listen(0);
  await new Promise((r) => server.once('listening', r));
  close = () => (server.closeAllConnections(), server.close());
  const { port } = server.address() as AddressInfo;
  const poll = async (done: () => boolean) => {
    while (!done()) await new Promise((r) => setTimeout(r, 10));
  };
  const tricklers: ClientRequest[] = [];
  for (let i = 0; i < 2; i++) {
    const t = request({ port, method: 'POST', path: '/x', headers: { 'x-trickle': '1', 'content-length': '1000' } });
    t.on('error', () => {}).on('response', (r) => r.resume());
    t.write('x'); // and nothing more
    tricklers.push(t);
  }
  await poll(() => settle.size === 2);
  // A second of the client's time with one byte: far below the floor.
  for (const m of meters) m.sample(Date.now() + 1_000);
  const url = `http://127.0.0.1:${port}/x`;
  const newcomers = [fetch(url, { method: 'POST', body: 'n' }), fetch(url, { method: 'POST', body: 'n' })];
  // Both tricklers cut, their connections gone (or, were the slots freed at the cut, a newcomer served).
  await poll(() => seen.arrived === 4 && (seen.cut === 2 || seen.served > 0));
  expect(seen.mostLive).toBe(2);
  expect(seen.served).toBe(0); // waiting in line: both slots are still their routes'
  const [first, second] = [...settle.keys()];
  settle.get(first!)!(); // one route settles: its slot goes to the first in line, then (each is answered at once) to the next
  expect((await Promise.all(newcomers)).map((r) => r.status)).toEqual([204, 204]);
  expect(seen.mostLive).toBe(2);
  settle.get(second!)!();
});
