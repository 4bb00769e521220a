// Failed logins are throttled per account and across all accounts, in memory only: a record of
// when someone tried to log in is not something to keep on disk.
export type ThrottleOptions = { perAccount: number; global: number; windowMs: number; lockMs: number };

export class Throttle {
  private readonly accounts = new Map<string, { failures: number; lockedUntil: number }>();
  private globalFailures: number[] = [];

  constructor(private readonly o: ThrottleOptions = { perAccount: 5, global: 100, windowMs: 15 * 60_000, lockMs: 15 * 60_000 }) {}

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
  attempt(account: string, now: number = Date.now()): () => void {
    this.fail(account, now);
    return () => {
      const i = this.globalFailures.lastIndexOf(now);
      if (i >= 0) this.globalFailures.splice(i, 1);
      this.accounts.delete(account);
    };
  }

  fail(account: string, now: number = Date.now()): void {
    this.globalFailures.push(now);
    const entry = this.accounts.get(account) ?? { failures: 0, lockedUntil: 0 };
    entry.failures++;
    if (entry.failures >= this.o.perAccount) entry.lockedUntil = now + this.o.lockMs;
    this.accounts.set(account, entry);
  }
}
