import { createCipheriv, createDecipheriv, createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * One send per form without JavaScript: a double click, or Back and Send again, stores once and
 * answers the page the first send got. Each form carries a token the server made: 16 random bytes,
 * an expiry, and an HMAC under a key held in memory only, so an unused token costs the server
 * nothing (there is no table of issued tokens to fill). Only a token that was used is remembered,
 * per form kind (the start page's two forms carry one token; a codename asked for first is not the
 * send that follows): its HMAC, until its expiry rounded up to the hour, in a bounded set where the
 * oldest gives way, so a flood of sends can at worst make a later duplicate store twice.
 *
 * What a new source's first send answered (the codename page) is kept ten minutes at most, on an
 * unref'd timer, at most RESULTS of them, because a browser that gets a second answer throws the
 * first away. It is kept sealed (AES-256-GCM) under a key derived from the token's random bytes,
 * which the server does not keep (the map holds only the HMAC): a copy of memory without the form's
 * page does not yield the codename. Leave, or any later request with that source's session (the
 * answer evidently arrived), forgets it. A restart forgets all.
 */
/** `codename`: a new source's, shown on the page the send answered (null for a returning source); `first`: asked for before sending. */
export type SendResult = { sourceId: string; codename: string | null; first?: boolean };
/** What a repeat learns of the first send: its answer, that it failed (this copy is then the send), or that it is forgotten. */
export type Earlier = SendResult | 'failed' | 'forgotten';
export type FormKind = 'submit' | 'codename';
export type FormTokenOptions = { lifetimeMs: number; resultMs: number; used: number; results: number };
/** A claimed token, held by the request sending it: the map key, and the secret that seals its answer. */
export type ClaimKey = { id: string; secret: Buffer };
export type Claim = { first: true; key: ClaimKey | null } | { first: false; earlier: Promise<Earlier> };

const DEFAULTS: FormTokenOptions = { lifetimeMs: 12 * 3600_000, resultMs: 10 * 60_000, used: 20_000, results: 256 };
const NONCE = 16;
const MAC = 32;
const TOKEN = /^[A-Za-z0-9_-]{70}$/; // base64url of 16 + 4 + 32 bytes
const MINUTE = 60_000;
const HOUR = 3600_000;

// `state` never carries the answer itself: a repeat opens the sealed copy with its own token.
type State = 'kept' | 'failed' | 'forgotten';
type Entry = { state: Promise<State>; settle: (s: State) => void; sealed?: Buffer; until: number; timer: NodeJS.Timeout; source?: string };

export class FormTokens {
  private readonly key = randomBytes(32);
  private readonly used = new Map<string, number>(); // claim id → coarse expiry, oldest first
  // A repeat that arrives while the first send is still being kept waits for its answer.
  private readonly results = new Map<string, Entry>();

  constructor(private readonly o: FormTokenOptions = DEFAULTS) {}

  /** A new token for one form. */
  issue(now: number = Date.now()): string {
    const payload = Buffer.alloc(NONCE + 4);
    randomBytes(NONCE).copy(payload);
    payload.writeUInt32BE(Math.ceil((now + this.o.lifetimeMs) / MINUTE), NONCE);
    return Buffer.concat([payload, this.mac(payload)]).toString('base64url');
  }

  /**
   * Called as a send is about to be kept. `first`: this token was never used for this kind of form
   * (or is no token the server made: an old page; it is then sent as before). Otherwise the send is
   * a repeat, and `earlier` settles with what the first one answered.
   */
  claim(token: string | undefined, kind: FormKind = 'submit', now: number = Date.now()): Claim {
    const key = this.verified(token, kind, now);
    if (key === null) return { first: true, key: null };
    this.sweep(now);
    if (this.used.has(key.id)) return { first: false, earlier: this.earlier(key) };
    this.used.set(key.id, Math.ceil((now + this.o.lifetimeMs) / HOUR) * HOUR);
    while (this.used.size > this.o.used) this.used.delete(this.used.keys().next().value!);
    let settle: (s: State) => void = () => undefined;
    const state = new Promise<State>((resolve) => (settle = resolve));
    const timer = setTimeout(() => this.forget(key.id), this.o.resultMs).unref();
    this.results.set(key.id, { state, settle, until: now + this.o.resultMs, timer });
    while (this.results.size > this.o.results) this.forget(this.results.keys().next().value!);
    return { first: true, key };
  }

  /** Like claim, but a repeat whose first send failed becomes the send (it keeps its own copy). */
  async take(token: string | undefined, kind: FormKind): Promise<{ first: true; key: ClaimKey | null } | { first: false; answer: SendResult | null }> {
    for (;;) {
      const claim = this.claim(token, kind);
      if (claim.first) return claim;
      const earlier = await claim.earlier;
      if (earlier !== 'failed') return { first: false, answer: earlier === 'forgotten' ? null : earlier };
    }
  }

  /** An answer already kept for this used token, read without waiting (so a repeat need not be encrypted). */
  answered(token: string | undefined, kind: FormKind, now: number = Date.now()): SendResult | null {
    const key = this.verified(token, kind, now);
    const sealed = key && this.results.get(key.id)?.sealed;
    return key && sealed ? open(sealed, key.secret) : null;
  }

  /** What the first send with this token answered, for its repeats (kept ten minutes at most, sealed). */
  remember(key: ClaimKey | null, result: SendResult, now: number = Date.now()): void {
    const entry = key && this.results.get(key.id);
    if (!key || !entry) return;
    entry.sealed = seal(result, key.secret);
    if (result.codename !== null) entry.source = this.tag(result.sourceId);
    entry.settle('kept');
    clearTimeout(entry.timer);
    entry.until = now + this.o.resultMs;
    entry.timer = setTimeout(() => this.forget(key.id), this.o.resultMs).unref();
  }

  /** The send with this token was not kept after all: the form may be sent again, and a waiting repeat is the send. */
  release(key: ClaimKey | null): void {
    if (key === null) return;
    this.used.delete(key.id);
    this.drop(key.id, 'failed');
  }

  /** This source's codename page has arrived (Leave, or a later request with its session): its answers go. */
  forgetSource(sourceId: string): void {
    const tag = this.tag(sourceId);
    for (const [id, entry] of this.results) if (entry.source === tag) this.forget(id);
  }

  /** How many are held (for tests): used tokens and kept answers. */
  get held(): { used: number; results: number } {
    return { used: this.used.size, results: this.results.size };
  }

  private async earlier(key: ClaimKey): Promise<Earlier> {
    const state = (await this.results.get(key.id)?.state) ?? 'forgotten';
    const sealed = this.results.get(key.id)?.sealed;
    if (state !== 'kept') return state;
    return (sealed && open(sealed, key.secret)) ?? 'forgotten';
  }

  private forget(id: string): void {
    this.drop(id, 'forgotten');
  }

  private drop(id: string, why: 'failed' | 'forgotten'): void {
    const entry = this.results.get(id);
    if (!entry) return;
    clearTimeout(entry.timer);
    entry.sealed?.fill(0);
    entry.settle(why);
    this.results.delete(id);
  }

  private verified(token: string | undefined, kind: FormKind, now: number): ClaimKey | null {
    if (typeof token !== 'string' || !TOKEN.test(token)) return null;
    const bytes = Buffer.from(token, 'base64url');
    if (bytes.length !== NONCE + 4 + MAC || bytes.toString('base64url') !== token) return null;
    const payload = bytes.subarray(0, NONCE + 4);
    if (!timingSafeEqual(bytes.subarray(NONCE + 4), this.mac(payload))) return null;
    if (payload.readUInt32BE(NONCE) * MINUTE <= now) return null;
    const secret = createHash('sha256').update(`sealdrop-form-answer\0${kind}\0`).update(payload.subarray(0, NONCE)).digest();
    return { id: `${kind}:${bytes.subarray(NONCE + 4).toString('base64url')}`, secret };
  }

  // Timers do the forgetting; this also drops what a stopped clock (tests pass `now`) left behind.
  private sweep(now: number): void {
    for (const [k, v] of this.results) if (v.until <= now) this.forget(k);
    for (const [k, until] of this.used) {
      if (until > now) break;
      this.used.delete(k);
    }
  }

  private tag(sourceId: string): string {
    return createHmac('sha256', this.key).update('sealdrop-form-source\0').update(sourceId).digest('base64url');
  }

  private mac(payload: Buffer): Buffer {
    return createHmac('sha256', this.key).update('sealdrop-form-once\0').update(payload).digest();
  }
}

function seal(result: SendResult, secret: Buffer): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', secret, iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(result), 'utf8'), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]);
}

function open(sealed: Buffer, secret: Buffer): SendResult | null {
  try {
    const decipher = createDecipheriv('aes-256-gcm', secret, sealed.subarray(0, 12));
    decipher.setAuthTag(sealed.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')) as SendResult;
  } catch {
    return null;
  }
}
