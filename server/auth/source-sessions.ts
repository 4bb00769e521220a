import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { isId } from '../../common/ids.ts';

/**
 * A source's session after sending or logging in with a codename. Nothing is kept on the server:
 * the token itself carries the source id and a coarse expiry, authenticated with HMAC-SHA256 under
 * a key that exists in this process's memory only. So there is no table a flood could fill, a
 * restart logs every source out (they log in again with the codename), and neither the key nor a
 * login time ever reaches the disk.
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

export class SourceSessions {
  private readonly key = randomBytes(32);

  constructor(private readonly o: SourceSessionOptions = DEFAULTS) {}

  /** A new token for this source, valid until a coarse expiry (rounded up, so it dates nothing exactly). */
  create(sourceId: string, now: number = Date.now()): { token: string; session: SourceSession } {
    if (!isId(sourceId)) throw new TypeError('A source id is 32 hexadecimal digits.');
    const expires = Math.ceil((now + this.o.ttlMs) / this.o.grainMs) * this.o.grainMs;
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
    return this.sessionOf(token, payload.subarray(1, 1 + ID_BYTES).toString('hex'), expires);
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
