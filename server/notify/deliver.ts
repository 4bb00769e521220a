import { log } from '../log/index.ts';

/** One way a notice goes out: a mail to one journalist, or the webhook. */
export type Channel = { kind: 'mail' | 'webhook'; send: () => Promise<void> };

export type RetryTiming = { firstRetryMs: number; now?: () => number; sleep?: (ms: number) => Promise<void> };

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** An error's code or class, never its message: a relay's refusal often quotes the address. */
const errorWord = (error: unknown): string => {
  const code = (error as { code?: unknown })?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown';
};

/**
 * Tries one channel, then again after firstRetryMs, 4x, 16x… while the next try starts before
 * `deadline`; never throws. Only giving up is logged (by channel kind, tries and the last error's
 * code): a line for a notice that went out, or for a try that a retry made good, would put in the
 * journal, with journald's time, a mark for every window that had an arrival.
 */
async function attempt(channel: Channel, deadline: number, t: Required<RetryTiming>): Promise<void> {
  for (let n = 1, wait = t.firstRetryMs; ; n += 1, wait *= 4) {
    try {
      return await channel.send();
    } catch (error) {
      if (t.now() + wait >= deadline) return log('error', 'notice_failed', { channel: channel.kind, attempts: n, error: errorWord(error) });
      await t.sleep(wait);
    }
  }
}

/** Every channel at once, each retried on its own; resolves when each has been sent or given up. */
export async function deliverAll(channels: Channel[], deadline: number, timing: RetryTiming): Promise<void> {
  const t = { now: Date.now, sleep, ...timing };
  await Promise.all(channels.map((c) => attempt(c, deadline, t)));
}
