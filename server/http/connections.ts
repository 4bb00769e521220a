import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerAndClose } from './answer-and-close.ts';
import { cutSlowBody, watchBody, type BodyMeter, type BodyRateOptions } from './body-rate.ts';
import { Eviction, type Connection } from './eviction.ts';

export type ConnectionOptions = {
  /** Connections held at once; a newcomer past it displaces the holder that has delivered least. */
  maxConnections: number;
  /** Connections past the cap that still get a clear 503 (beyond it the kernel refuses them). */
  headroom: number;
  /** The longest a connection may go without a request in progress: never sent one, slow headers, idle keep-alive. */
  idleMs: number;
};

/**
 * 4096 a listener: a connection that sent a request head and a few body bytes costs the server
 * about 25 KiB (a JSON body held near its 16 KiB limit: 39 KiB), so a full table is at most
 * ~160 MiB a listener, well inside the systemd unit's MemoryMax=2G (figures: docs/operations.md).
 */
export const DEFAULT_CONNECTIONS: ConnectionOptions = { maxConnections: 4096, headroom: 32, idleMs: 20_000 };

export const BUSY = 'error.busy';

/** Every connection a guard holds, by socket (with that guard's eviction), so a route can say what its request is waiting for. */
const held = new WeakMap<Socket, { connection: Connection; eviction: Eviction }>();

/**
 * Waits out the delay before a refusal (a wrong codename). Meanwhile the connection is among the
 * first to give way to a newcomer: it waits only to tell its own client no, so displacing it costs
 * nobody else anything, and a flood of such requests buys no standing.
 */
export async function beforeRefusing(req: IncomingMessage, delay: () => Promise<unknown>): Promise<void> {
  const entry = held.get(req.socket);
  if (entry) {
    entry.connection.refusing = true;
    entry.eviction.refusing(entry.connection);
  }
  try {
    await delay();
  } finally {
    if (entry) {
      entry.connection.refusing = false;
      entry.eviction.left(entry.connection);
    }
  }
}

/**
 * Keeps room for new sources on one listener. Behind Tor every source shares one address, so
 * nothing is per client: when the connections run out, the one that has delivered least gives
 * way (eviction.ts); only when every holder is genuinely busy is the newcomer answered 503.
 */
export class ConnectionGuard {
  private readonly connections = new Map<Socket, Connection>();
  private readonly eviction: Eviction;
  private refused = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: ConnectionOptions,
    private readonly bodyRate: BodyRateOptions,
  ) {
    this.eviction = new Eviction(bodyRate);
  }

  /** Wraps the app: every request body is metered, and a connection admitted past the cap is answered 503. */
  listener(app: RequestListener): RequestListener {
    return (req, res) => {
      const connection = this.connections.get(req.socket);
      // Not held: it gave way to a newcomer and is being closed.
      if (!connection) return void req.socket.destroy();
      if (connection.refused) return answerAndClose(req, res, 503, BUSY);
      // Browsers never pipeline; a client that queues requests it does not read can hold a connection.
      if (connection.active > 0) return void req.socket.destroy();
      this.track(connection, res, watchBody(req, res, this.bodyRate));
      app(req, res);
    };
  }

  attach(server: Server): void {
    // Node drops connections past maxConnections without a word; the guard answers below that.
    server.maxConnections = this.limits.maxConnections + this.limits.headroom;
    server.on('connection', (socket: Socket) => this.admit(socket));
    this.timer = setInterval(() => this.tick(), this.bodyRate.tickMs);
    this.timer.unref();
    server.once('close', () => clearInterval(this.timer));
  }

  private track(connection: Connection, res: ServerResponse, meter: BodyMeter): void {
    connection.active++;
    connection.meter = meter.receiving() ? meter : null;
    connection.res = res;
    connection.answering = false;
    connection.refusing = false;
    this.eviction.left(connection);
    res.once('close', () => {
      connection.active--;
      connection.served++;
      connection.idleSince = Date.now();
      connection.res = null;
      if (connection.active === 0 && this.connections.get(connection.socket) === connection) this.eviction.fellIdle(connection);
    });
  }

  private admit(socket: Socket, now = Date.now()): void {
    const connection: Connection = { socket, since: now, active: 0, served: 0, idleSince: now, refused: false, meter: null, written: 0, stalledSince: null, res: null, answering: false, refusing: false };
    if (this.connections.size - this.refused >= this.limits.maxConnections && !this.evictOne(now)) {
      connection.refused = true;
      this.refused++;
    }
    this.connections.set(socket, connection);
    held.set(socket, { connection, eviction: this.eviction });
    socket.once('close', () => this.forget(connection));
  }

  private forget(connection: Connection): void {
    if (this.connections.get(connection.socket) !== connection) return;
    this.connections.delete(connection.socket);
    this.eviction.left(connection);
    if (connection.refused) this.refused--;
  }

  /** Frees one slot for a newcomer, if any holder may give way. */
  private evictOne(now: number): boolean {
    const freed = this.eviction.pick(this.connections, now);
    if (!freed) return false;
    this.forget(freed);
    // A body cut short is told why (408); a connection with no request in progress just closes.
    if (freed.meter?.receiving() && freed.active > 0) cutSlowBody(freed.meter);
    else freed.socket.destroy();
    return true;
  }

  private tick(now = Date.now()): void {
    for (const c of this.connections.values()) {
      c.answering = c.res?.headersSent ?? false;
      const meter = c.meter;
      if (meter && !meter.receiving()) c.meter = null;
      else if (meter) {
        meter.sample(now);
        if (meter.tooSlow()) {
          c.meter = null;
          cutSlowBody(meter);
        }
      }
      if (c.active === 0 && now - c.idleSince > this.limits.idleMs) c.socket.destroy();
      else if (this.responseStalled(c, now) > this.limits.idleMs) c.socket.destroy();
    }
  }

  /** How long an answer has waited for the client to read it, without a byte going out (0 if none). */
  private responseStalled(c: Connection, now: number): number {
    const written = c.socket.bytesWritten;
    if (c.active === 0 || c.socket.writableLength === 0 || written !== c.written) {
      c.written = written;
      c.stalledSince = null;
      return 0;
    }
    c.stalledSince ??= now;
    return now - c.stalledSince;
  }
}
