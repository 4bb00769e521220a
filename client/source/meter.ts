// How far an upload has got, in words a person can read: bytes sent, rate and time left.
// Counts bytes as they leave (upload progress events), not parts, which over Tor arrive seconds apart.
import { t } from '../i18n.ts';
import { formatLimit } from '../../common/sizes.ts';

export type Tracked = { sent(loaded: number, total: number): void; done(): void; lost(): void };
export type Reading = { sent: number; total: number; rate: number | null; secondsLeft: number | null };

// The rate is judged over this window: long enough to smooth Tor's bursts, short enough to follow a change.
const WINDOW_MS = 10_000;

export class Meter {
  private confirmed = 0;
  private readonly flying = new Map<number, number>();
  private next = 0;
  private readonly samples: { at: number; sent: number }[] = [];

  /** `total` is the plaintext the parts carry (padding included); `shown` the file's own size, which the page reports. */
  constructor(
    private readonly total: number,
    private readonly shown: number = total,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Follows one object on its way; `bytes` is the plaintext it carries. */
  track(bytes: number): Tracked {
    const key = this.next++;
    this.flying.set(key, 0);
    return {
      sent: (loaded, total) => this.flying.has(key) && this.flying.set(key, bytes * Math.min(1, loaded / Math.max(1, total))),
      done: () => {
        if (this.flying.delete(key)) this.confirmed += bytes;
      },
      // A broken upload's bytes did not arrive: progress steps back rather than lie.
      lost: () => void this.flying.delete(key),
    };
  }

  private sentBytes(): number {
    let sum = this.confirmed;
    for (const b of this.flying.values()) sum += b;
    return Math.min(this.total, sum);
  }

  /** Takes a reading; call about once a second. */
  read(): Reading {
    const at = this.now();
    const sent = this.sentBytes();
    this.samples.push({ at, sent });
    while (this.samples.length > 2 && at - this.samples[1]!.at >= WINDOW_MS) this.samples.shift();
    const first = this.samples[0]!;
    const seconds = (at - first.at) / 1000;
    const rate = seconds >= 1 ? Math.max(0, sent - first.sent) / seconds : null;
    const scale = this.shown / Math.max(1, this.total);
    const secondsLeft = rate ? Math.ceil((this.total - sent) / rate) : null;
    return { sent: Math.round(sent * scale), total: this.shown, rate: rate === null ? null : rate * scale, secondsLeft };
  }
}

// MB and GB only, rounded down, in the same words as the limits the server states (common/sizes.ts).
export const formatBytes = formatLimit;

export function formatDuration(seconds: number): string {
  if (seconds < 60) return t('client.duration.short');
  const minutes = Math.round(seconds / 60);
  if (minutes < 90) return t('client.duration.minutes', { minutes });
  return t('client.duration.hours', { hours: Math.round(minutes / 6) / 10 });
}

/** "120 MB of 4.0 GB sent, 1.2 MB/s, about 55 minutes left" */
export function describe(r: Reading): string {
  const sizes = { sent: formatBytes(r.sent), total: formatBytes(r.total) };
  if (r.rate === null) return t('client.meter.sent', sizes);
  const rate = formatBytes(r.rate);
  if (r.secondsLeft === null || r.sent >= r.total) return t('client.meter.rate', { ...sizes, rate });
  return t('client.meter.left', { ...sizes, rate, duration: formatDuration(r.secondsLeft) });
}
