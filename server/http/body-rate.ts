import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { answerAndClose } from './answer-and-close.ts';

/**
 * The least a request body must keep arriving at. Behind Tor every source shares one address, so
 * the only fair test of a holder is how fast its bytes come: a real upload over Tor runs at tens
 * of KB/s and stalls for a few seconds at a time, a slot-holding attacker sends next to nothing.
 */
export type BodyRateOptions = {
  /** Bytes per second a body must average over the window (a real Tor upload: ~50 KB/s). */
  floorBytesPerSecond: number;
  /** The sliding window the average is taken over, so a few seconds' stall does not count against a source. */
  windowMs: number;
  /** Time from the start of a body before it is judged at all (Tor circuits are slow to get going). */
  graceMs: number;
  /** How long a holder keeps its slot unconditionally; after that a newcomer may displace it if it is below the floor. */
  evictAfterMs: number;
  /**
   * When capacity runs out, a holder judged over a whole window may also give way if it is below
   * this (above the floor): holding every slot then costs an attacker real bandwidth (32 KiB/s a
   * slot), while a real upload at 50 KB/s with stalls of a few seconds stays above it.
   */
  displaceBelowBytesPerSecond: number;
  /** How often bodies are sampled. */
  tickMs: number;
};

export const DEFAULT_BODY_RATE: BodyRateOptions = {
  floorBytesPerSecond: 8 * 1024,
  windowMs: 30_000,
  graceMs: 20_000,
  evictAfterMs: 5_000,
  displaceBelowBytesPerSecond: 32 * 1024,
  tickMs: 1_000,
};

export const TOO_SLOW = 'error.tooSlow';

type Sample = { bytes: number; ms: number };

/**
 * Watches one request body by the bytes its socket reads (listening for 'data' would steal them
 * from the route). Time while the server itself is not reading (the body's buffer is full, e.g.
 * a part being encrypted) is not held against the client.
 */
export class BodyMeter {
  private samples: Sample[] = [];
  private lastBytes: number;
  private lastAt: number;
  private clientMs = 0;
  /** Body bytes counted so far (those since lastBytes are not yet). */
  private total = 0;
  private readonly socket: Socket;
  /**
   * As of the last event or sample, for ranking thousands of connections in one pass: reading a
   * request's own properties costs about a microsecond each (express gives every request a deep,
   * dictionary-mode prototype chain), the meter's cached fields a few nanoseconds.
   */
  private ended = false;
  private wasPressured = false;

  constructor(
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    private readonly options: BodyRateOptions,
    now = Date.now(),
  ) {
    this.socket = req.socket;
    this.lastBytes = this.socket.bytesRead;
    this.lastAt = now;
    const end = () => (this.ended = true);
    req.once('end', end);
    req.once('close', end);
  }

  /** True while body bytes are still expected (`cached`: as of the last event or sample). */
  receiving(cached = false): boolean {
    if (cached || this.ended) return !this.ended;
    this.ended = this.req.complete || this.req.destroyed;
    return !this.ended;
  }

  /** The server has stopped reading (the body's buffer is full): that time is not the client's. */
  private pressured(cached: boolean): boolean {
    if (!cached) this.wasPressured = this.req.readableLength >= this.req.readableHighWaterMark;
    return this.wasPressured;
  }

  // A blocked event loop stretches the gap without the client being any slower: count one tick at most.
  private pendingMs(now: number, cached = false): number {
    return this.pressured(cached) ? 0 : Math.max(0, Math.min(now - this.lastAt, this.options.tickMs * 1.5));
  }

  sample(now = Date.now()): void {
    const bytes = this.socket.bytesRead - this.lastBytes;
    const ms = this.pendingMs(now);
    this.lastBytes += bytes;
    this.lastAt = now;
    this.clientMs += ms;
    this.total += bytes;
    const last = this.samples.at(-1);
    // Merged, so a body the server leaves unread for long does not grow the list.
    if (ms === 0 && last?.ms === 0) last.bytes += bytes;
    else this.samples.push({ bytes, ms });
    let span = this.samples.reduce((sum, s) => sum + s.ms, 0);
    while (this.samples.length > 1 && span - this.samples[0]!.ms >= this.options.windowMs) span -= this.samples.shift()!.ms;
  }

  /** Bytes per second over the window (or since the start, if younger), in the client's own time. */
  rate(): number {
    let bytes = 0;
    let ms = 0;
    for (const s of this.samples) {
      bytes += s.bytes;
      ms += s.ms;
    }
    return ms === 0 ? Infinity : (bytes * 1000) / ms;
  }

  /**
   * How many bytes this body is behind the floor since it started, in the client's own time
   * (negative: ahead of it). Exact at any moment, not only at a tick, so a newcomer can be
   * judged against it the instant it arrives (`cached`: whether the server is reading, as of
   * the last sample).
   */
  behind(now = Date.now(), cached = false): number {
    const bytes = this.total + this.socket.bytesRead - this.lastBytes;
    return (this.options.floorBytesPerSecond * (this.clientMs + this.pendingMs(now, cached))) / 1000 - bytes;
  }

  /** Past the grace period and below the floor: the request is cut. */
  tooSlow(): boolean {
    return this.receiving() && this.clientMs >= this.options.graceMs && this.rate() < this.options.floorBytesPerSecond;
  }

  /**
   * May be displaced by a newcomer when capacity runs out: below the floor after a fair start, or
   * below the displacement bar over a whole window (so bodies just above the floor cannot hold
   * every slot for days).
   */
  evictable(cached = false): boolean {
    if (!this.receiving(cached) || this.clientMs < this.options.evictAfterMs) return false;
    const rate = this.rate();
    if (rate < this.options.floorBytesPerSecond) return true;
    return this.clientMs >= this.options.windowMs && rate < this.options.displaceBelowBytesPerSecond;
  }
}

const meters = new WeakMap<IncomingMessage, BodyMeter>();

export function watchBody(req: IncomingMessage, res: ServerResponse, options: BodyRateOptions): BodyMeter {
  const meter = new BodyMeter(req, res, options);
  meters.set(req, meter);
  return meter;
}

/** The slowest of the requests that may be displaced, if any (a request not served through serve() never is). */
export function slowestEvictable(reqs: Iterable<IncomingMessage>): BodyMeter | undefined {
  let slowest: { meter: BodyMeter; rate: number } | undefined;
  for (const req of reqs) {
    const meter = meters.get(req);
    if (!meter?.evictable()) continue;
    const rate = meter.rate();
    if (!slowest || rate < slowest.rate) slowest = { meter, rate };
  }
  return slowest?.meter;
}

/** Ends a body that is too slow, or that gives way to a newcomer: a 408, and nothing stored. */
export const cutSlowBody = (meter: BodyMeter): void => answerAndClose(meter.req, meter.res, 408, TOO_SLOW);
