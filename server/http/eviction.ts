import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { BodyMeter, BodyRateOptions } from './body-rate.ts';

/** What the connection guard knows of one connection. */
export type Connection = {
  socket: Socket;
  /** When it was accepted. */
  since: number;
  /** Requests in progress (a second one at once is pipelining, which is refused). */
  active: number;
  /** Requests answered on it: with none in progress, it is an idle keep-alive connection. */
  served: number;
  idleSince: number;
  /** Admitted past the cap: its request gets a 503 and it holds no slot. */
  refused: boolean;
  /** The body of the request in progress, while more of it is expected. */
  meter: BodyMeter | null;
  written: number;
  stalledSince: number | null;
  /** The answer to the request in progress (for whether it has begun). */
  res: ServerResponse | null;
  /** Whether that answer had begun, as of the last tick (for ranking thousands at once). */
  answering: boolean;
  /** The request in progress waits only to be refused (a wrong codename's delay). */
  refusing: boolean;
};

// How often, at most, a table where nobody may give way is ranked again.
const RERANK_MS = 100;
// A body above the floor is the last to give way: it is never taken from a ranking older than this,
// which could predate connections that have since become cheaper to drop (requests now waiting to
// be refused or waiting on the server). Ranking again costs ~1-3 ms at 4096 connections, and then
// only when nothing cheaper is left: at most 20 times a second.
const BODY_RANKING_MS = 50;

// Lower classes give way first; within a class, the higher score.
const IDLE = 0;
const REFUSING = 1;
const STALLED = 2;
const BEHIND = 3;
const WINDOW = 4;

type Standing = [number, number] | null;

/**
 * How readily a connection gives way to a newcomer, or null if it never does: an answer being
 * sent, a request whose head is arriving above the floor, a body keeping above it, a connection
 * that has delivered above the floor over its life. `cached`: judged on what the meter and the
 * last tick saw (for ranking thousands at once); otherwise exactly.
 */
function standing(c: Connection, rate: BodyRateOptions, now: number, cached: boolean): Standing {
  if (c.refused) return null;
  // It has had its answers: the client opens another connection if it wants more.
  if (c.active === 0 && c.served > 0) return [IDLE, now - c.idleSince];
  // It waits only to be told no: displacing it costs its client that answer, and nobody else anything.
  if (c.active > 0 && c.refusing) return [REFUSING, now - c.since];
  // A client that does not read its answer holds the connection without any cost to itself.
  const stalledFor = c.stalledSince === null ? 0 : now - c.stalledSince;
  if (stalledFor >= rate.evictAfterMs) return [STALLED, stalledFor];
  // Nothing sent yet, or a request head still arriving.
  if (c.active === 0) return overItsLife(c, rate, now);
  const meter = c.meter?.receiving(cached) ? c.meter : null;
  if (meter) {
    const behind = meter.behind(now, cached);
    if (behind > 0) return [BEHIND, behind];
    return meter.evictable(cached) ? [WINDOW, -meter.rate()] : null;
  }
  // An answer under way (bytes going out; one the client stops reading is STALLED above).
  if (cached ? c.answering : (c.res?.headersSent ?? true)) return null;
  // The request waits on the server (a queue place, a delay, work) with nothing arriving or going
  // out: judged like a silent connection, so cycling cheap requests on one buys no standing.
  return overItsLife(c, rate, now);
}

/**
 * By what the connection has delivered since it was accepted: behind the floor times its age
 * (the oldest laggard first), or, after a whole window, below the displacement bar like a body.
 */
function overItsLife(c: Connection, rate: BodyRateOptions, now: number): Standing {
  const age = now - c.since;
  const bytes = c.socket.bytesRead;
  const behind = (rate.floorBytesPerSecond * age) / 1000 - bytes;
  if (behind > 0) return [BEHIND, behind];
  const perSecond = (bytes * 1000) / age;
  return age >= rate.windowMs && perSecond < rate.displaceBelowBytesPerSecond ? [WINDOW, -perSecond] : null;
}

/**
 * Chooses the connection that gives way to a newcomer when every slot is taken, if any: first an
 * idle keep-alive connection (the longest idle), then a request waiting only to be refused, then
 * an answer the client has stopped reading, then the connection furthest behind the floor (no
 * request head yet, or a request waiting on the server, by bytes since the connection began; a
 * body, by bytes since it began), then one below the bar over a whole window (BodyMeter.evictable).
 *
 * "Furthest behind" rather than "slowest": a connection accepted a moment ago has sent nothing,
 * so by rate it would be the first to go, and a flood re-opening what is dropped would displace
 * every newcomer before its first byte. Behind is at most floor × age, so among connections
 * that sent nothing the oldest goes first: a newcomer outlives every older laggard, and a body
 * keeping above the floor is never chosen.
 *
 * Cheap at thousands of connections: idle ones are kept in order as they fall idle; the others
 * are ranked in one pass only when the last ranking is used up or a tick old, and each one taken
 * from it is judged again at that moment (one that has caught up is passed over).
 */
export class Eviction {
  /** Idle keep-alive connections, in the order they fell idle. */
  private readonly idle = new Set<Connection>();
  /** Requests waiting only to be refused, in the order they began to wait: exact, never a tick old. */
  private readonly refusals = new Set<Connection>();
  /** The last ranking, the first to give way last (popped). */
  private ranked: Connection[] = [];
  private rankedAt = -Infinity;
  private rankedEmpty = false;

  constructor(private readonly rate: BodyRateOptions) {}

  fellIdle(c: Connection): void {
    this.idle.add(c);
  }

  refusing(c: Connection): void {
    this.refusals.add(c);
  }

  /** Busy again, done waiting, or gone. */
  left(c: Connection): void {
    this.idle.delete(c);
    this.refusals.delete(c);
  }

  pick(table: Map<Socket, Connection>, now = Date.now()): Connection | undefined {
    for (const c of this.idle) {
      this.idle.delete(c);
      if (table.get(c.socket) === c && c.active === 0) return c;
    }
    for (const c of this.refusals) {
      this.refusals.delete(c);
      if (table.get(c.socket) === c && c.active > 0 && c.refusing) return c;
    }
    if (now - this.rankedAt >= this.rate.tickMs) this.ranked = [];
    let found = this.next(table, now);
    if (found?.meter && now - this.rankedAt > BODY_RANKING_MS) {
      this.ranked = [];
      found = undefined;
    }
    // Ranked again when used up; when the last ranking found nobody who may give way, not before
    // RERANK_MS, so a flood against a table of genuinely busy holders costs no pass per connection.
    if (found || now - this.rankedAt < (this.rankedEmpty ? RERANK_MS : 1)) return found;
    this.rank(table.values(), now);
    return this.next(table, now);
  }

  /** The next in the ranking that is still held and still may give way. */
  private next(table: Map<Socket, Connection>, now: number): Connection | undefined {
    for (let c = this.ranked.pop(); c; c = this.ranked.pop()) {
      if (table.get(c.socket) === c && standing(c, this.rate, now, false)) return c;
    }
    return undefined;
  }

  private rank(connections: Iterable<Connection>, now: number): void {
    const scored: { c: Connection; s: [number, number] }[] = [];
    for (const c of connections) {
      const s = standing(c, this.rate, now, true);
      if (s) scored.push({ c, s });
    }
    // Ascending, so the first to give way is last and pop() takes it.
    scored.sort((a, b) => b.s[0] - a.s[0] || a.s[1] - b.s[1]);
    this.ranked = scored.map((x) => x.c);
    this.rankedEmpty = scored.length === 0;
    this.rankedAt = now;
  }
}
