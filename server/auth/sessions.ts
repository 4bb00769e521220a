import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

// Sessions live in memory: a restart logs everyone out, and no login time ever reaches the disk.
/** What the next staff page says about the last action (server/http/notice.ts): a catalog key and its values. */
export type Notice = { key: string; params: Readonly<Record<string, string | number>>; /** A path on this app the notice links to. */ href?: string };
// `notice`: kept in memory only, like the rest of the session.
export type Session = { journalistId: number | null; csrf: string; created: number; lastSeen: number; notice?: Notice };
export type SessionLimits = { idleMs: number; absoluteMs: number };

/** Too many sessions in memory: refused (503) rather than pushing out someone who is logged in. */
export class SessionsFullError extends Error {
  override name = 'SessionsFullError';
  constructor() {
    super('The server is busy. Please try again in a few minutes.');
  }
}

const DEFAULT_LIMITS: SessionLimits = { idleMs: 30 * 60_000, absoluteMs: 8 * 60 * 60_000 };
const MAX_SESSIONS = 10_000;
const key = (token: string) => createHash('sha256').update(token).digest('hex');

export class Sessions {
  private readonly byKey = new Map<string, Session>();

  /** `now`: the clock every default below reads (a test moves it instead of sleeping). */
  constructor(
    readonly limits: SessionLimits = DEFAULT_LIMITS,
    private readonly now: () => number = Date.now,
  ) {}

  /** A new session with a fresh 256-bit token; used at first visit and again at login (rotation). */
  create(journalistId: number | null, now: number = this.now()): { token: string; session: Session } {
    this.sweep(now);
    if (this.byKey.size >= MAX_SESSIONS) {
      // Only an anonymous (pre-login) session may make room; a logged-in journalist is never evicted.
      const anonymous = [...this.byKey].find(([, s]) => s.journalistId === null);
      if (!anonymous) throw new SessionsFullError();
      this.byKey.delete(anonymous[0]);
    }
    const token = randomBytes(32).toString('base64url');
    const session = { journalistId, csrf: randomBytes(32).toString('base64url'), created: now, lastSeen: now };
    this.byKey.set(key(token), session);
    return { token, session };
  }

  get(token: string | undefined, now: number = this.now()): Session | null {
    if (!token) return null;
    const session = this.byKey.get(key(token));
    if (!session) return null;
    if (now - session.lastSeen > this.limits.idleMs || now - session.created > this.limits.absoluteMs) {
      this.byKey.delete(key(token));
      return null;
    }
    session.lastSeen = now;
    return session;
  }

  destroy(token: string | undefined): void {
    if (token) this.byKey.delete(key(token));
  }

  /** Ends every session of a journalist (disabled, removed, reset). */
  destroyFor(journalistId: number): void {
    for (const [k, s] of this.byKey) if (s.journalistId === journalistId) this.byKey.delete(k);
  }

  private sweep(now: number): void {
    for (const [k, s] of this.byKey) {
      if (now - s.lastSeen > this.limits.idleMs || now - s.created > this.limits.absoluteMs) this.byKey.delete(k);
    }
  }
}

export function sameToken(a: string | undefined, b: string): boolean {
  if (typeof a !== 'string' || a.length !== b.length) return false;
  return timingSafeEqual(Buffer.from(a), Buffer.from(b));
}
