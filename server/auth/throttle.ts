// Failed logins are throttled per account and across all accounts, in memory only: a record of
// when someone tried to log in is not something to keep on disk.
export type ThrottleOptions = {
  perAccount: number;
  global: number;
  windowMs: number;
  lockMs: number;
  /** Usernames with no account whose failures are remembered at once; the oldest is forgotten first. */
  maxUnknown?: number;
};

type Entry = { failures: number; since: number; lockedUntil: number; known: boolean };

const DEFAULTS: ThrottleOptions = { perAccount: 5, global: 100, windowMs: 15 * 60_000, lockMs: 15 * 60_000, maxUnknown: 10_000 };

/**
 * Guesses at usernames that do not exist can never succeed, so they never count towards the global
 * lock: made-up names cannot shut real journalists out. They are still locked per name like real
 * accounts (5, then 15 minutes), so answers do not reveal which names exist; that record is bounded.
 */
export class Throttle {
  private readonly accounts = new Map<string, Entry>();
  private globalFailures: number[] = [];
  private unknown = 0;

  constructor(private readonly o: ThrottleOptions = DEFAULTS) {}

  /** Names remembered (for tests: the record must stay bounded). */
  get size(): number {
    return this.accounts.size;
  }

  /** Milliseconds to wait before this account may try again (0: go ahead). */
  waitFor(account: string, now: number = Date.now()): number {
    this.globalFailures = this.globalFailures.filter((t) => now - t < this.o.windowMs);
    if (this.globalFailures.length >= this.o.global) return this.o.windowMs - (now - this.globalFailures[0]!);
    const entry = this.accounts.get(account);
    return entry && entry.lockedUntil > now ? entry.lockedUntil - now : 0;
  }

  /**
   * Counts an attempt as failed before the slow check runs, so that attempts sent in parallel
   * cannot all slip past `waitFor`; the returned function takes it back on success.
   */
  attempt(account: string, now: number = Date.now(), known = true): () => void {
    this.fail(account, now, known);
    return () => {
      const i = this.globalFailures.lastIndexOf(now);
      if (known && i >= 0) this.globalFailures.splice(i, 1);
      this.forget(account);
    };
  }

  /** A failed login; `known` says whether an account has this name (only those count globally). */
  fail(account: string, now: number = Date.now(), known = true): void {
    if (known) this.globalFailures.push(now);
    let entry = this.accounts.get(account);
    // A failure from long ago no longer counts: five failures spread over months lock nobody.
    if (entry && entry.lockedUntil <= now && now - entry.since >= this.o.windowMs) entry = undefined;
    entry ??= this.remember(account, now, known);
    entry.failures++;
    if (entry.failures >= this.o.perAccount) entry.lockedUntil = now + this.o.lockMs;
  }

  private remember(account: string, now: number, known: boolean): Entry {
    this.forget(account);
    if (!known) this.makeRoomForUnknown(now);
    const entry = { failures: 0, since: now, lockedUntil: 0, known };
    this.accounts.set(account, entry);
    if (!known) this.unknown++;
    return entry;
  }

  private forget(account: string): void {
    const entry = this.accounts.get(account);
    if (!entry) return;
    this.accounts.delete(account);
    if (!entry.known) this.unknown--;
  }

  /** Drops stale unknown names, then the oldest ones; a real account's record is never dropped. */
  private makeRoomForUnknown(now: number): void {
    const max = this.o.maxUnknown ?? DEFAULTS.maxUnknown!;
    if (this.unknown < max) return;
    for (const [name, e] of this.accounts) if (!e.known && e.lockedUntil <= now && now - e.since >= this.o.windowMs) this.forget(name);
    for (const [name, e] of this.accounts) {
      if (this.unknown < max) break;
      if (!e.known) this.forget(name);
    }
  }
}
