import { createHash } from 'node:crypto';
import { newTotpSecret } from './totp.ts';

/**
 * The TOTP secrets offered under one-time setup and enrolment links, in memory only, each held by
 * the one browser session it was shown to. A secret tied to the link alone would let anyone who
 * saw the link (the CLI's output, a chat, the administrator who made it) note the secret and wait
 * for the journalist to enrol with it, keeping their second factor for ever. So a reload in the
 * same session shows the same secret (never a new one under an already scanned QR code), and any
 * other session that opens the link gets a new one, which withdraws the first: that browser is
 * told on its next load or submit, so a copied link shows itself instead of staying silent.
 */

/** A session is named by its cookie token's SHA-256; the token itself is not kept here. */
export const holderOf = (token: string): string => createHash('sha256').update(token).digest('hex');

type Entry = { holder: string; secret: string; withdrawn: string[] };
/** What a browser is shown: its secret, and whether one shown to it before was withdrawn. */
export type Offer = { secret: string; openedElsewhere: boolean };

/** How many sessions one link remembers having withdrawn a secret from, to tell them why. */
const MAX_WITHDRAWN = 8;

export class PendingTotp {
  private readonly byLink = new Map<string, Entry>();

  /** `max`: links remembered at once (only valid links are offered; the oldest go first). */
  constructor(private readonly max = 1000) {}

  /**
   * The secret `holder` sees under `link`: its own again, or a new one that withdraws anyone
   * else's. `previous`: the session the browser's cookie named before it expired (its token still
   * proves it is the same browser), so an idle pause does not look like someone else.
   */
  offer(link: string, holder: string, previous?: string): Offer {
    const me = (h: string) => h === holder || h === previous;
    const entry = this.byLink.get(link);
    if (entry && me(entry.holder)) {
      entry.holder = holder;
      return { secret: entry.secret, openedElsewhere: false };
    }
    const openedElsewhere = entry?.withdrawn.some(me) ?? false;
    const withdrawn = entry ? [entry.holder, ...entry.withdrawn.filter((h) => !me(h))].slice(0, MAX_WITHDRAWN) : [];
    this.byLink.delete(link);
    if (this.byLink.size >= this.max) this.byLink.delete(this.byLink.keys().next().value!);
    const secret = newTotpSecret();
    this.byLink.set(link, { holder, secret, withdrawn });
    return { secret, openedElsewhere };
  }

  /** The secret `holder` was shown under `link`; 'withdrawn' once another session opened it since; else null. */
  held(link: string, holder: string): string | 'withdrawn' | null {
    const entry = this.byLink.get(link);
    if (entry?.holder === holder) return entry.secret;
    return entry?.withdrawn.includes(holder) ? 'withdrawn' : null;
  }

  /** The link is used: its secret is never offered again. */
  spend(link: string): void {
    this.byLink.delete(link);
  }

  get size(): number {
    return this.byLink.size;
  }
}
