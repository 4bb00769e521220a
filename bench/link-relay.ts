// A userland TCP relay that behaves like a Tor circuit: every byte waits a one-way delay in each
// direction, and each direction is capped in rate, shared by every connection (Tor Browser sends
// all of a site's connections over one circuit). Both sides of a comparison go through it.
import net from 'node:net';

export type LinkOptions = { target: number; delayMs: number; bytesPerSecond: number };
export type Relay = { port: number; close(): Promise<void> };

/** One direction of the circuit: busy until this time, whichever connection sent last. */
type Lane = { busyUntil: number };

/** One connection's direction: bytes leave at most at the lane's rate, and each arrives `delayMs` after it left. */
function pipeSlowly(from: net.Socket, to: net.Socket, lane: Lane, o: LinkOptions): void {
  const queue: { at: number; data: Buffer }[] = [];
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    timer = null;
    const now = Date.now();
    while (queue.length && queue[0]!.at <= now) to.write(queue.shift()!.data);
    if (queue.length) timer = setTimeout(flush, queue[0]!.at - now);
    // Back-pressure: a sender never gets more than a second ahead of the link.
    if (queue.length < 64 && from.isPaused()) from.resume();
  };
  from.on('data', (chunk: Buffer) => {
    // The chunk is on the wire from when the link is free, for as long as its size takes at the rate.
    for (let at = 0; at < chunk.length; at += 16 * 1024) {
      const data = chunk.subarray(at, at + 16 * 1024);
      lane.busyUntil = Math.max(lane.busyUntil, Date.now()) + (1000 * data.length) / o.bytesPerSecond;
      queue.push({ at: lane.busyUntil + o.delayMs, data });
    }
    if (queue.length >= 64) from.pause();
    if (!timer) timer = setTimeout(flush, Math.max(0, queue[0]!.at - Date.now()));
  });
  from.on('end', () => {
    const finish = () => (queue.length ? setTimeout(finish, 50) : to.end());
    finish();
  });
}

export function startRelay(o: LinkOptions): Promise<Relay> {
  const sockets = new Set<net.Socket>();
  const up: Lane = { busyUntil: 0 };
  const down: Lane = { busyUntil: 0 };
  const server = net.createServer((client) => {
    const upstream = net.connect(o.target, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => void [client, upstream].forEach((x) => x.destroy()));
      s.on('close', () => sockets.delete(s));
    }
    pipeSlowly(client, upstream, up, o);
    pipeSlowly(upstream, client, down, o);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: (server.address() as net.AddressInfo).port,
        close: () =>
          new Promise<void>((r) => {
            for (const s of sockets) s.destroy();
            server.close(() => r());
          }),
      }),
    );
  });
}
