import { randomInt } from 'node:crypto';
import { log } from '../log/index.ts';

/**
 * Where the one fact the window must survive a restart by is kept: "a notice is owed". Only a
 * flag, never a time or a count (store.settings.newsPending).
 */
export type PendingFlag = { read(): boolean; write(pending: boolean): void };

/**
 * Who a notice is for: the desks (null: the whole newsroom, a conversation in no desk) that had an
 * arrival in its window, kept in memory only; 'everyone' for a notice owed from before a restart
 * (only the flag survives it, not the desks).
 */
export type Audience = ReadonlySet<number | null> | 'everyone';

export type WindowOptions = {
  windowMs: number;
  pending: PendingFlag;
  /** Sends one notice on every channel, retrying each until `deadline` (ms since the epoch); never throws. */
  deliver: (deadline: number, audience: Audience) => Promise<void>;
  /**
   * Whether a notice would reach anyone now (a webhook, or someone asked for mail). An arrival when
   * nobody would be told is not noted at all: no flag is stored and no window is run for it.
   */
  wanted?: (desk: number | null) => boolean;
  /** A whole number uniform in [0, n); tests may fix it. By default node:crypto's CSPRNG. */
  pick?: (n: number) => number;
  now?: () => number;
};

/**
 * Batches arrivals into windows of `windowMs`, counted from start: a window with any arrival gives
 * one notice, sent at a uniformly random moment of the NEXT window. Its time then says only that
 * something arrived within the two windows before it, not when a source acted; a dozen arrivals
 * and one look the same. Nothing here knows which submission arrived, or how many.
 */
export class NoticeWindow {
  private news = false;
  /** The desks with an arrival in the current window (see Audience). */
  private desks = new Set<number | null>();
  private flagged = false;
  private stopped = true;
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly pick: (n: number) => number;
  private readonly wanted: (desk: number | null) => boolean;
  private readonly now: () => number;
  private start0 = 0;
  private boundaries = 0;
  /** Notices scheduled or being sent: the flag stays until none is left and nothing new came. */
  private owed = 0;
  /** A flag write that failed at an arrival, logged when its notice goes out. */
  private flagError: string | null = null;

  constructor(private readonly o: WindowOptions) {
    // Not Math.random: its state can be recovered from a few outputs, and with it the moments.
    this.pick = o.pick ?? ((n) => randomInt(n));
    this.wanted = o.wanted ?? (() => true);
    this.now = o.now ?? Date.now;
  }

  /**
   * Called where a submission completes, on the request's path, with the desk of its conversation:
   * it asks whether anyone would be told (the first arrival of a window for that desk only) and
   * notes the desk in memory. Writing "news pending" waits for the next turn of the event loop,
   * after the answer is on its way.
   */
  arrived(desk: number | null = null): void {
    if (this.stopped || this.desks.has(desk) || !this.wanted(desk)) return;
    this.desks.add(desk);
    this.news = true;
    if (this.flagged) return;
    this.flagged = true;
    const t = setImmediate(() => this.persist(true, true));
    t.unref();
  }

  /** Starts the first window; a notice owed from before a restart goes out at a random moment of it. */
  start(): void {
    this.stopped = false;
    this.start0 = this.now();
    this.boundaries = 0;
    this.owed = 0;
    this.news = false;
    this.desks = new Set();
    this.flagged = this.o.pending.read();
    if (this.flagged && !this.wanted(null)) this.persist(false); // owed to nobody now
    if (this.flagged) this.schedule(this.start0, 'everyone');
    this.nextBoundary();
  }

  /** Stops every timer; a notice still owed is kept as the flag, for the next start to send. */
  stop(): void {
    if (this.stopped) return;
    if (this.news || this.owed > 0) this.persist(true);
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private after(ms: number, run: () => void): void {
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) run();
    }, Math.max(0, ms));
    t.unref();
    this.timers.add(t);
  }

  private nextBoundary(): void {
    this.boundaries += 1;
    const at = this.start0 + this.boundaries * this.o.windowMs;
    this.after(at - this.now(), () => {
      if (this.news) {
        this.news = false;
        this.schedule(at, this.desks);
        this.desks = new Set();
      }
      this.nextBoundary();
    });
  }

  /** One notice at a uniformly random moment of the window that begins at `windowStart`. */
  private schedule(windowStart: number, audience: Audience): void {
    const moment = windowStart + this.pick(this.o.windowMs);
    this.owed += 1;
    this.after(moment - this.now(), () => void this.send(audience));
  }

  private async send(audience: Audience): Promise<void> {
    if (this.flagError) log('error', 'notice_failed', { step: 'pending_flag', error: this.flagError });
    this.flagError = null;
    // Retries get one window's time, whenever in its window the notice began.
    try {
      await this.o.deliver(this.now() + this.o.windowMs, audience);
    } catch (error) {
      log('error', 'notice_failed', { step: 'deliver', error: (error as Error).name });
    } finally {
      this.owed -= 1;
    }
    // Arrivals since this window began are still owed a notice of their own.
    if (this.owed === 0 && !this.news && !this.stopped) this.persist(false);
  }

  /**
   * Writes the flag. A failure just after an arrival (`atArrival`) is logged with that window's
   * notice, not at once: journald's time on the line would date the arrival to the second.
   */
  private persist(pending: boolean, atArrival = false): void {
    try {
      this.o.pending.write(pending);
      this.flagged = pending;
    } catch (error) {
      if (pending) this.flagged = false; // the next arrival tries again
      if (atArrival) this.flagError = (error as Error).name;
      else log('error', 'notice_failed', { step: 'pending_flag', error: (error as Error).name });
    }
  }
}
