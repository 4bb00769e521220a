import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One send per form without JavaScript: a double click, or Back and Send again, stores once and
 * answers the page the first send got. Each form carries a token the server made: 16 random bytes,
 * an expiry, and an HMAC under a key held in memory only, so an unused token costs the server
 * nothing (there is no table of issued tokens to fill). Only a token that was used is remembered:
 * its HMAC, for the token's lifetime, in a set bounded in size, where the oldest gives way, so a
 * flood of sends can at worst make a later duplicate store twice, never lock anyone out.
 *
 * What a new source's first send answered (the codename page) is kept a few minutes, at most
 * RESULTS of them, because a browser that gets a second answer throws the first away: without it a
 * double click would store the material under a codename nobody ever saw. A restart forgets all.
 */
/** `codename`: a new source's, shown on the page the send answered (null for a returning source); `first`: asked for before sending. */
export type SendResult = { sourceId: string; codename: string | null; first?: boolean };
export type FormTokenOptions = { lifetimeMs: number; resultMs: number; used: number; results: number };

const DEFAULTS: FormTokenOptions = { lifetimeMs: 12 * 3600_000, resultMs: 10 * 60_000, used: 20_000, results: 256 };
const NONCE = 16;
const MAC = 32;
const TOKEN = /^[A-Za-z0-9_-]{70}$/; // base64url of 16 + 4 + 32 bytes
const MINUTE = 60_000;

export class FormTokens {
  private readonly key = randomBytes(32);
  private readonly used = new Map<string, number>(); // token MAC → expiry, oldest first
  // A repeat that arrives while the first send is still being kept waits for its answer.
  private readonly results = new Map<string, { result: Promise<SendResult | null>; settle: (r: SendResult | null) => void; until: number }>();

  constructor(private readonly o: FormTokenOptions = DEFAULTS) {}

  /** A new token for one form. */
  issue(now: number = Date.now()): string {
    const payload = Buffer.alloc(NONCE + 4);
    randomBytes(NONCE).copy(payload);
    payload.writeUInt32BE(Math.ceil((now + this.o.lifetimeMs) / MINUTE), NONCE);
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /**
   * Called as a send is about to be kept. `first`: this token was never used (or is no token the
   * server made: an old page; it is then sent as before). Otherwise the send is a repeat: `earlier`
   * settles with what the first one answered (null if it failed, or is no longer remembered).
   */
  claim(token: string | undefined, now: number = Date.now()): { first: true; key: string | null } | { first: false; earlier: Promise<SendResult | null> } {
    const key = this.verified(token, now);
    if (key === null) return { first: true, key: null };
    this.sweep(now);
    if (this.used.has(key)) return { first: false, earlier: this.results.get(key)?.result ?? Promise.resolve(null) };
    this.used.set(key, now + this.o.lifetimeMs);
    while (this.used.size > this.o.used) this.used.delete(this.used.keys().next().value!);
    let settle: (r: SendResult | null) => void = () => undefined;
    const result = new Promise<SendResult | null>((resolve) => (settle = resolve));
    this.results.set(key, { result, settle, until: now + this.o.resultMs });
    while (this.results.size > this.o.results) this.forget(this.results.keys().next().value!);
    return { first: true, key };
  }

  /** What the first send with this token answered, for its repeats (kept a few minutes). */
  remember(key: string | null, result: SendResult): void {
    if (key !== null) this.results.get(key)?.settle(result);
  }

  /** The send with this token was not kept after all: the form may be sent again. */
  release(key: string | null): void {
    if (key === null) return;
    this.used.delete(key);
    this.forget(key);
  }

  private forget(key: string): void {
    this.results.get(key)?.settle(null);
    this.results.delete(key);
  }

  /** How many are held (for tests): used tokens and kept answers. */
  get held(): { used: number; results: number } {
    return { used: this.used.size, results: this.results.size };
  }

  private verified(token: string | undefined, now: number): string | null {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== NONCE + 4 + MAC || bytes.toString('base64url') !== token) return null;
    const payload = bytes.subarray(0, NONCE + 4);
    if (!timingSafeEqual(bytes.subarray(NONCE + 4), this.mac(payload))) return null;
    if (payload.readUInt32BE(NONCE) * MINUTE <= now) return null;
    return bytes.subarray(NONCE + 4).toString('base64url');
  }

  // Maps keep insertion order: expired answers are dropped from the front; used tokens by age.
  private sweep(now: number): void {
    for (const [k, v] of this.results) {
      if (v.until > now) break;
      this.forget(k);
    }
    for (const [k, until] of this.used) {
      if (until > now) break;
      this.used.delete(k);
    }
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update('sealdrop-form-once\0').update(payload).digest();
  }
}
