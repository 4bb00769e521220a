import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isId } from '../../common/ids.ts';

/**
 * A source's session after sending or logging in with a codename. Nothing is kept on the server:
 * the token itself carries the source id and a coarse expiry, authenticated with HMAC-SHA256 under
 * a key that exists in this process's memory only. So there is no table a flood could fill, a
 * restart logs every source out (they log in again with the codename), and neither the key nor a
 * login time ever reaches the disk.
 *
 * Leave ends a session for good (revoke): the source's id is kept in memory with the latest expiry
 * any of its tokens can have, and every token of that source expiring no later is refused, a copy of
 * the cookie included. One entry per source, not per token, gone once those tokens have expired:
 * only a source that exists and holds a valid session can add one, so the set is bounded by the
 * sources that left within the last two hours. Past REVOKED_MAX (a flood of made-up sources) the key
 * is replaced instead: every session ends, as at a restart, and none that left comes back.
 */
export type SourceSession = { sourceId: string; csrf: string; expires: number };
export type SourceSessionOptions = { ttlMs: number; grainMs: number };

const DEFAULTS: SourceSessionOptions = { ttlMs: 2 * 60 * 60_000, grainMs: 10 * 60_000 };
const VERSION = 1;
const ID_BYTES = 16;
const MAC_BYTES = 32;
const PAYLOAD_BYTES = 1 + ID_BYTES + 4; // version, source id, expiry in minutes since the epoch
const TOKEN_CHARS = Math.ceil(((PAYLOAD_BYTES + MAC_BYTES) * 4) / 3);
const TOKEN = new RegExp(`^[A-Za-z0-9_-]{${TOKEN_CHARS}}$`);
const MINUTE = 60_000;
const REVOKED_MAX = 100_000;
const PRUNE_FIRST = 1024;

export class SourceSessions {
  private key = randomBytes(32);
  /** Source id -> every token of it expiring at or before this time is refused (Leave). */
  private readonly revoked = new Map<string, number>();
  private pruneAt = PRUNE_FIRST;

  constructor(private readonly o: SourceSessionOptions = DEFAULTS) {}

  /** The coarse expiry of a token made now (rounded up, so it dates nothing exactly). */
  private expiryAt(now: number): number {
    return Math.ceil((now + this.o.ttlMs) / this.o.grainMs) * this.o.grainMs;
  }

  /** A new token for this source, valid until a coarse expiry; after a Leave, one grain past what it revoked. */
  create(sourceId: string, now: number = Date.now()): { token: string; session: SourceSession } {
    if (!isId(sourceId)) throw new TypeError('A source id is 32 hexadecimal digits.');
    const through = this.revoked.get(sourceId) ?? 0;
    const expires = Math.max(this.expiryAt(now), through + this.o.grainMs);
    const payload = Buffer.alloc(PAYLOAD_BYTES);
    payload.writeUInt8(VERSION, 0);
    Buffer.from(sourceId, 'hex').copy(payload, 1);
    payload.writeUInt32BE(Math.floor(expires / MINUTE), 1 + ID_BYTES);
    const token = Buffer.concat([payload, this.mac('session', payload)]).toString('base64url');
    return { token, session: this.sessionOf(token, sourceId, expires) };
  }

  /** The session a token names, or null if it is malformed, altered, made by another process, or expired. */
  get(token: string | undefined, now: number = Date.now()): SourceSession | null {
    // The shape is checked first, so a hostile header costs a regular expression on at most 71 characters.
    if (typeof token !== 'string' || token.length !== TOKEN_CHARS || !TOKEN.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    // Unused low bits in the last character would let two spellings name the same bytes.
    if (bytes.length !== PAYLOAD_BYTES + MAC_BYTES || bytes.toString('base64url') !== token) return null;
    const payload = bytes.subarray(0, PAYLOAD_BYTES);
    if (!timingSafeEqual(bytes.subarray(PAYLOAD_BYTES), this.mac('session', payload))) return null;
    if (payload.readUInt8(0) !== VERSION) return null;
    const expires = payload.readUInt32BE(1 + ID_BYTES) * MINUTE;
    if (now >= expires) return null;
    const sourceId = payload.subarray(1, 1 + ID_BYTES).toString('hex');
    if (expires <= (this.revoked.get(sourceId) ?? 0)) return null;
    return this.sessionOf(token, sourceId, expires);
  }

  /**
   * Leave: this source's tokens made until now (this one, any copy, any other tab's) are refused
   * from now on; a later login gets a token expiring later than all of them.
   */
  revoke(session: SourceSession, now: number = Date.now()): void {
    const before = this.revoked.get(session.sourceId);
    const through = Math.max(session.expires, this.expiryAt(now), before === undefined ? 0 : before + this.o.grainMs);
    // Entries go once their tokens have expired, looked for each time the set doubles (amortised).
    if (this.revoked.size >= this.pruneAt) {
      this.forgetExpired(now);
      this.pruneAt = Math.max(PRUNE_FIRST, 2 * this.revoked.size);
    }
    if (!this.revoked.has(session.sourceId) && this.revoked.size >= REVOKED_MAX) {
      this.key = randomBytes(32); // every token made so far is refused: the set is no longer needed
      this.revoked.clear();
      return;
    }
    this.revoked.set(session.sourceId, through);
  }

  /** How many sources' sessions are revoked and not yet expired (for tests and the bound above). */
  get revokedCount(): number {
    return this.revoked.size;
  }

  private forgetExpired(now: number): void {
    for (const [id, through] of this.revoked) if (through <= now) this.revoked.delete(id);
  }

  /** The no-JS forms' CSRF token: derived from the session token, so it needs no storage either. */
  private sessionOf(token: string, sourceId: string, expires: number): SourceSession {
    return { sourceId, csrf: this.mac('csrf', Buffer.from(token)).toString('base64url'), expires };
  }

  // Each use gets its own label, so a MAC made for one purpose is never valid for another.
  private mac(purpose: 'session' | 'csrf', data: Buffer): Buffer {
    return createHmac('sha256', this.key).update(`sealdrop-source-${purpose}\0`).update(data).digest();
  }
}
