// Sends one item's encrypted objects over a link that drops (Tor), in as few round trips as it can
// (docs/envelope.md "Folded sends"): each part goes in one POST /api/sends, the first also opening
// the item (and, for a new source, registering it), the last part carrying the manifest; whichever
// request brings the item's last piece completes it. Two in flight while the next parts are sealed. After any failure the server is asked what it
// holds and only the rest is sent again. Nothing about the upload is stored on the device.
import { sendFolded, sendHeld, UploadError, type Reserved, type SendAnswer, type SendHead, type SendHeld } from '../api/source.ts';
import type { Meter } from './meter.ts';
import { t } from '../i18n.ts';

/** Parts uploading at once: enough to keep a long-delay circuit busy, few enough to bound memory. */
export const IN_FLIGHT = 2;
// Tor circuits come back within minutes or not at all; a server restart takes seconds.
const GIVE_UP_MS = 15 * 60_000;
const BACKOFF_S = [1, 2, 4, 8, 15, 30];

export type LinkState = { reconnecting: boolean; attempt: number };

/**
 * What every request of a send carries besides its item: the session, or until the server answered, the registration and the other items.
 * `awaiting`: a registration went out and no answer came back yet (the source has no session).
 */
export type Folding = { token(): string | null; extra(secret: string): Omit<SendHead, 'parts'>; answered(answer: SendAnswer): void; awaiting(): boolean };

export type UploadOptions = { to: Reserved; meter: Meter; folding: Folding; onLink?: (state: LinkState) => void };

/** One request's pieces: part `n` (0: none) and the manifest, if it rides along. */
type Piece = { n: number; part: Uint8Array | Blob | null; manifest: Uint8Array | null };

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Upload {
  private readonly flying = new Set<Promise<void>>();
  private failure: unknown = null;
  private reconnecting: Promise<SendHeld | null> | null = null;
  private done = false;

  constructor(private readonly o: UploadOptions) {}

  /** Starts sending part `n` (not the last); resolves once a slot is free, so the caller can encrypt the next part meanwhile. */
  async add(n: number, ciphertext: Uint8Array | Blob, plainBytes: number): Promise<void> {
    while (this.flying.size >= IN_FLIGHT) await Promise.race(this.flying);
    this.check();
    const task: Promise<void> = this.deliver({ n, part: ciphertext, manifest: null }, plainBytes)
      .catch((error: unknown) => void (this.failure ??= error))
      .finally(() => this.flying.delete(task));
    this.flying.add(task);
  }

  /** The last part with the manifest, in one request beside the parts still in flight: whichever arrives last completes the item. */
  async finish(n: number, ciphertext: Uint8Array | Blob, plainBytes: number, manifest: Uint8Array): Promise<void> {
    while (this.flying.size >= IN_FLIGHT) await Promise.race(this.flying);
    this.check();
    const last = this.deliver({ n, part: ciphertext, manifest }, plainBytes);
    await Promise.allSettled([...this.flying, last]);
    await last;
    this.check();
    // Every piece arrived but no answer said "done" (an answer lost, the completion with it): ask.
    if (!this.done && !(await this.reconnect())?.done) await this.completeHeld(manifest);
    await this.recover(manifest);
  }

  /**
   * The server holds every piece but the item is not complete (it stopped between storing the last piece and
   * completing it): the manifest alone again completes it (docs/envelope.md "Folded sends"). Without this the
   * page would find nothing left to send and say the upload was lost, though nothing was.
   */
  private async completeHeld(manifest: Uint8Array): Promise<void> {
    const { folding } = this.o;
    for (;;) {
      let answer: SendAnswer | null = null;
      try {
        answer = await this.send(manifestAlone(manifest));
      } catch (error) {
        if (!(error instanceof UploadError) || !error.retryable) throw error;
      }
      if (answer) {
        folding.answered(answer);
        if (!answer.done) throw new UploadError(t('client.lost'));
        return void (this.done = true);
      }
      if ((await this.reconnect())?.done) return;
    }
  }

  /**
   * The item is done, but a new source's registration was never answered (its answer lost, the item found done by
   * GET /api/sends): the registration goes again with the manifest alone, which the server answers with the
   * source's session and stores nothing; without it the next send would make another codename.
   */
  private async recover(manifest: Uint8Array): Promise<void> {
    const { folding } = this.o;
    while (folding.awaiting()) {
      try {
        folding.answered(await this.send(manifestAlone(manifest)));
      } catch (error) {
        if (!(error instanceof UploadError) || !error.retryable) throw error;
        await this.reconnect();
      }
    }
  }

  /** Waits for the parts in flight without sending more (the item failed; nothing is left running). */
  async abandon(): Promise<void> {
    await Promise.allSettled(this.flying);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  /** One request of this item: its pieces, with what every request of the send carries (the session, or the registration and other items). */
  private send(p: Piece, onSent?: (loaded: number, total: number) => void): Promise<SendAnswer> {
    const { to, folding } = this.o;
    return sendFolded(to.secret, p.n, { parts: to.parts, ...folding.extra(to.secret) }, p.part, p.manifest, folding.token(), onSent);
  }

  private async deliver(piece: Piece, plainBytes: number): Promise<void> {
    const { meter, folding } = this.o;
    for (let p: Piece | null = piece; p; ) {
      const tracked = meter.track(plainBytes);
      try {
        const answer = await this.send(p, tracked.sent);
        folding.answered(answer);
        this.done ||= answer.done;
        return tracked.done();
      } catch (error) {
        tracked.lost();
        if (!(error instanceof UploadError) || !error.retryable) throw error;
      }
      p = rest(p, await this.reconnect());
      if (!p) meter.track(plainBytes).done();
    }
  }

  /** One reconnection shared by every part that failed at the same time. */
  private reconnect(): Promise<SendHeld | null> {
    this.reconnecting ??= this.untilReachable().finally(() => (this.reconnecting = null));
    return this.reconnecting;
  }

  private async untilReachable(): Promise<SendHeld | null> {
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      this.o.onLink?.({ reconnecting: true, attempt });
      // Jitter, so that pages cut off together by a restart do not all return in the same second.
      await wait(BACKOFF_S[Math.min(attempt, BACKOFF_S.length) - 1]! * 1000 * (0.75 + Math.random() / 2));
      try {
        const held = await sendHeld(this.o.to.secret);
        this.o.onLink?.({ reconnecting: false, attempt });
        if (held?.done) this.done = true;
        return held;
      } catch (error) {
        if (!(error instanceof UploadError) || !error.retryable) throw error;
        if (Date.now() - since > GIVE_UP_MS) throw new UploadError(t('client.lost'));
      }
    }
  }
}

/** The manifest alone (no part: n = 0), which completes an item the server holds whole, or carries a registration again. */
const manifestAlone = (manifest: Uint8Array): Piece => ({ n: 0, part: null, manifest });

/** What of `p` the server does not hold yet (null: nothing); a part it holds is not sent again, nor a manifest. */
function rest(p: Piece, held: SendHeld | null): Piece | null {
  if (held?.done) return null;
  const part = p.part && !held?.parts.includes(p.n) ? p.part : null;
  const manifest = p.manifest && !held?.manifest ? p.manifest : null;
  if (!part && !manifest) return null;
  return { n: part ? p.n : 0, part, manifest };
}
