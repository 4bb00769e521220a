import { createHash, randomBytes } from 'node:crypto';
import { SessionsFullError } from './sessions.ts';

// A source's session after sending or logging in with a codename: in memory only, short-lived.
export type SourceSession = { sourceId: string; csrf: string; lastSeen: number };

const IDLE_MS = 60 * 60_000;
const MAX = 10_000;
const key = (token: string) => createHash('sha256').update(token).digest('hex');

export class SourceSessions {
  private readonly byKey = new Map<string, SourceSession>();

  /** A new session; the source's earlier one ends, so one source never holds more than one. */
  create(sourceId: string, now: number = Date.now()): { token: string; session: SourceSession } {
    for (const [k, s] of this.byKey) if (now - s.lastSeen > IDLE_MS || s.sourceId === sourceId) this.byKey.delete(k);
    if (this.byKey.size >= MAX) throw new SessionsFullError();
    const token = randomBytes(32).toString('base64url');
    const session = { sourceId, csrf: randomBytes(32).toString('base64url'), lastSeen: now };
    this.byKey.set(key(token), session);
    return { token, session };
  }

  get(token: string | undefined, now: number = Date.now()): SourceSession | null {
    if (!token) return null;
    const session = this.byKey.get(key(token));
    if (!session || now - session.lastSeen > IDLE_MS) return null;
    session.lastSeen = now;
    return session;
  }
}
