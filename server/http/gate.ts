import type { Response } from 'express';
import { HttpError } from './errors.ts';
import { said } from '../i18n/said.ts';

/**
 * Past the queue or the longest wait: behind Tor every source shares one address, so nothing can
 * be kept per client; a bounded queue is what stops a flood from holding memory or sockets forever.
 */
export class GateBusyError extends HttpError {
  override name = 'GateBusyError';
  constructor() {
    super(503, said('error.busyUnchanged'));
  }
}

export type GateOptions = {
  /** Jobs running at once: with the cost of one job, this caps the work a flood can cause. */
  width: number;
  /** Requests that may wait for a slot; one more is refused at once. */
  queue: number;
  /** The longest a request waits for a slot before it is refused. */
  maxWaitMs: number;
};

type Waiter = { admit: () => void; refuse: () => void };

/**
 * A FIFO semaphore for expensive anonymous work. Waiting in line (instead of being refused while
 * every slot is busy) means a few attacker loops cannot starve a real request: it is served after
 * at most `queue` jobs, in order of arrival.
 */
export class Gate {
  private running = 0;
  private readonly waiting: Waiter[] = [];

  constructor(readonly options: GateOptions) {}

  /** Runs `work` while holding a slot; the slot is freed as soon as it settles. */
  async run<T>(work: () => Promise<T> | T, signal?: AbortSignal): Promise<T> {
    await this.enter(signal);
    try {
      return await work();
    } finally {
      this.leave();
    }
  }

  private enter(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(new GateBusyError());
    if (this.running < this.options.width && this.waiting.length === 0) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.queue) return Promise.reject(new GateBusyError());
    return new Promise<void>((resolve, reject) => {
      const settle = (admitted: boolean) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const i = this.waiting.indexOf(waiter);
        if (i >= 0) this.waiting.splice(i, 1);
        if (admitted) resolve();
        else reject(new GateBusyError());
      };
      const waiter: Waiter = { admit: () => settle(true), refuse: () => settle(false) };
      const onAbort = () => waiter.refuse();
      const timer = setTimeout(onAbort, this.options.maxWaitMs);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiting.push(waiter);
    });
  }

  private leave(): void {
    // The slot passes straight to the first in line, so a newcomer can never jump the queue.
    const next = this.waiting[0];
    if (next) next.admit();
    else this.running--;
  }
}

/** Aborts once the response is closed, so a request whose client went away leaves the queue. */
export function untilClosed(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}
