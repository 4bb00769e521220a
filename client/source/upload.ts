// Sends one submission's encrypted objects over a link that drops (Tor): two parts in flight while
// the next is encrypted, and after any failure, the server is asked what it holds and only the
// rest is sent again. Nothing about the upload is stored on the device: closing the tab ends it.
import { completeSubmission, putManifest, putPart, received, UploadError, type Received, type Reserved } from '../api/source.ts';
import type { Meter } from './meter.ts';
import { t } from '../i18n.ts';

/** Parts uploading at once: enough to keep a long-delay circuit busy, few enough to bound memory. */
export const IN_FLIGHT = 2;
// Tor circuits come back within minutes or not at all; a server restart takes seconds.
const GIVE_UP_MS = 15 * 60_000;
const BACKOFF_S = [1, 2, 4, 8, 15, 30];

export type LinkState = { reconnecting: boolean; attempt: number };

export type UploadOptions = { to: Reserved; meter: Meter; onLink?: (state: LinkState) => void };

const wait = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class Upload {
  private readonly flying = new Set<Promise<void>>();
  private failure: unknown = null;
  private reconnecting: Promise<Received | null> | null = null;

  constructor(private readonly o: UploadOptions) {}

  /** Starts sending part `n`; resolves once a slot is free, so the caller can encrypt the next part meanwhile. */
  async add(n: number, ciphertext: Uint8Array, plainBytes: number): Promise<void> {
    while (this.flying.size >= IN_FLIGHT) await Promise.race(this.flying);
    this.check();
    const task: Promise<void> = this.deliver((sent) => putPart(this.o.to, n, ciphertext, sent), plainBytes, (r) => r?.parts.includes(n))
      .catch((error: unknown) => void (this.failure ??= error))
      .finally(() => this.flying.delete(task));
    this.flying.add(task);
  }

  /** Sends the manifest alongside the last parts (a round trip saved), then completes the submission. */
  async finish(manifest: Uint8Array): Promise<void> {
    const sent = this.deliver(() => putManifest(this.o.to, manifest), 0, (r) => r?.manifest);
    await Promise.all([...this.flying, sent]);
    this.check();
    // A completed submission answers nobody, this page included: a completion whose answer was
    // lost shows as a 404 when the page asks what the server holds (null).
    await this.deliver(() => completeSubmission(this.o.to), 0, (r) => !r);
  }

  /** Waits for the parts in flight without sending more (the item failed; nothing is left running). */
  async abandon(): Promise<void> {
    await Promise.all(this.flying);
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }

  private async deliver(attempt: (sent: (loaded: number, total: number) => void) => Promise<unknown>, plainBytes: number, held: (r: Received | null) => unknown): Promise<void> {
    for (;;) {
      const tracked = this.o.meter.track(plainBytes);
      try {
        await attempt(tracked.sent);
        return tracked.done();
      } catch (error) {
        tracked.lost();
        if (!(error instanceof UploadError) || !error.retryable) throw error;
      }
      if (held(await this.reconnect())) return this.o.meter.track(plainBytes).done();
    }
  }

  /** One reconnection shared by every part that failed at the same time. */
  private reconnect(): Promise<Received | null> {
    this.reconnecting ??= this.untilReachable().finally(() => (this.reconnecting = null));
    return this.reconnecting;
  }

  private async untilReachable(): Promise<Received | null> {
    const since = Date.now();
    for (let attempt = 1; ; attempt++) {
      this.o.onLink?.({ reconnecting: true, attempt });
      // Jitter, so that pages cut off together by a restart do not all return in the same second.
      await wait(BACKOFF_S[Math.min(attempt, BACKOFF_S.length) - 1]! * 1000 * (0.75 + Math.random() / 2));
      try {
        const state = await received(this.o.to);
        this.o.onLink?.({ reconnecting: false, attempt });
        return state;
      } catch (error) {
        if (!(error instanceof UploadError) || !error.retryable) throw error;
        if (Date.now() - since > GIVE_UP_MS) {
          throw new UploadError(t('client.lost'));
        }
      }
    }
  }
}
