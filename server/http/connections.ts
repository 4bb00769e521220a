import type { RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerAndClose } from './answer-and-close.ts';
import { cutSlowBody, slowestEvictable, watchBody, type BodyMeter, type BodyRateOptions } from './body-rate.ts';

export type ConnectionOptions = {
  /** Connections held at once; a newcomer past it displaces the idlest or slowest holder. */
  maxConnections: number;
  /** Connections past the cap that still get a clear 503 (beyond it the kernel refuses them). */
  headroom: number;
  /** The longest a connection may go without a request in progress: never sent one, slow headers, idle keep-alive. */
  idleMs: number;
};

export const DEFAULT_CONNECTIONS: ConnectionOptions = { maxConnections: 512, headroom: 32, idleMs: 20_000 };

export const BUSY = 'error.busy';

type Connection = { socket: Socket; active: number; idleSince: number; refused: boolean; written: number; stalledSince: number | null };

/**
 * Keeps room for new sources on one listener. Behind Tor every source shares one address, so
 * nothing is per client: when the connections run out, the one that has gone longest without a
 * request in progress gives way, then a body arriving below the floor; only when every holder
 * is genuinely busy is the newcomer answered 503.
 */
export class ConnectionGuard {
  private readonly connections = new Map<Socket, Connection>();
  private readonly bodies = new Set<BodyMeter>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly limits: ConnectionOptions,
    private readonly bodyRate: BodyRateOptions,
  ) {}

  /** Wraps the app: every request body is metered, and a connection admitted past the cap is answered 503. */
  listener(app: RequestListener): RequestListener {
    return (req, res) => {
      const connection = this.connections.get(req.socket);
      if (connection?.refused) return answerAndClose(req, res, 503, BUSY);
      // Browsers never pipeline; a client that queues requests it does not read can hold a connection.
      if (connection && connection.active > 0) return void req.socket.destroy();
      if (connection) this.track(connection, res);
      const meter = watchBody(req, res, this.bodyRate);
      if (meter.receiving) this.bodies.add(meter);
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

  private track(connection: Connection, res: ServerResponse): void {
    connection.active++;
    res.once('close', () => {
      connection.active--;
      connection.idleSince = Date.now();
    });
  }

  private admit(socket: Socket): void {
    const connection: Connection = { socket, active: 0, idleSince: Date.now(), refused: false, written: 0, stalledSince: null };
    if (this.held() >= this.limits.maxConnections && !this.evictOne()) connection.refused = true;
    this.connections.set(socket, connection);
    socket.once('close', () => this.connections.delete(socket));
  }

  private held(): number {
    let n = 0;
    for (const c of this.connections.values()) if (!c.refused) n++;
    return n;
  }

  /** Frees one connection for a newcomer, if any holder may give way. */
  private evictOne(now = Date.now()): boolean {
    let idlest: Connection | undefined;
    let stalled: Connection | undefined;
    for (const c of this.connections.values()) {
      if (c.refused) continue;
      if (c.active === 0 && (!idlest || c.idleSince < idlest.idleSince)) idlest = c;
      // A client that does not read its answer holds the connection without any cost to itself.
      const stalledFor = c.stalledSince === null ? 0 : now - c.stalledSince;
      if (stalledFor >= this.bodyRate.evictAfterMs && (!stalled || c.stalledSince! < stalled.stalledSince!)) stalled = c;
    }
    const freed = idlest ?? stalled;
    if (freed) {
      this.connections.delete(freed.socket);
      freed.socket.destroy();
      return true;
    }
    const slowest = slowestEvictable([...this.bodies].filter((m) => this.connections.has(m.req.socket)).map((m) => m.req));
    if (!slowest) return false;
    this.connections.delete(slowest.req.socket);
    this.bodies.delete(slowest);
    cutSlowBody(slowest);
    return true;
  }

  private tick(now = Date.now()): void {
    for (const meter of this.bodies) {
      if (!meter.receiving) {
        this.bodies.delete(meter);
        continue;
      }
      meter.sample(now);
      if (!meter.tooSlow()) continue;
      this.bodies.delete(meter);
      cutSlowBody(meter);
    }
    for (const c of this.connections.values()) {
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
