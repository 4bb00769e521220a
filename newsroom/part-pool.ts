import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { DecryptionError } from '../common/envelope/index.ts';
import type { OpenedPart } from './bulk-open.ts';
import type { WriteTarget, WrittenPart } from './part-sinks.ts';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';

// `sealdrop decrypt` on every core: parts are independent OpenPGP messages, so worker threads read
// and open several at once, each writing its part's bytes at their place in the output, while the
// main thread unwraps the next ones' session keys and checks the finished ones against the
// manifest, strictly in order. ReadAhead bounds how many are started ahead: memory stays a part
// per thread whatever the size, and a slow disk does not let work pile up.

type Job = { object: Uint8Array | string; key: OpenedSessionKey; target?: WriteTarget; resolve: (p: OpenedPart | WrittenPart) => void; reject: (e: Error) => void };
type Answer = { ok: true; plaintext: Uint8Array; sha256: string } | { ok: true; written: WrittenPart } | { ok: false; message: string };

/** Worker threads that decrypt one part each at a time; `open` queues when all are busy. */
export class PartPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly queue: Job[] = [];

  constructor(readonly size = availableParallelism()) {
    // Started at once: loading a thread's code takes a while, done while the main thread reads keys and manifests.
    for (let i = 0; i < size; i++) this.idle.push(this.spawn());
  }

  /**
   * Decrypts `object` (a whole part, or the path of its file: the worker reads it) under its
   * session key, unwrapped by the caller.
   */
  open(object: Uint8Array | string, key: OpenedSessionKey): Promise<OpenedPart> {
    return this.run({ object, key }) as Promise<OpenedPart>;
  }

  /**
   * Decrypts the part in `file` and writes its file's bytes into the output at `target` (the
   * worker does: nothing comes back but what openSubmission checks). Settle every such promise
   * before closing the output: until then a worker may still write to its descriptor.
   */
  openTo(file: string, key: OpenedSessionKey, target: WriteTarget): Promise<WrittenPart> {
    return this.run({ object: file, key, target }) as Promise<WrittenPart>;
  }

  private run(job: Omit<Job, 'resolve' | 'reject'>): Promise<OpenedPart | WrittenPart> {
    return new Promise((resolve, reject) => {
      this.queue.push({ ...job, resolve, reject });
      this.next();
    });
  }

  /** Stops every worker; call once the run is over, whatever happened. */
  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private next(): void {
    if (this.queue.length === 0) return;
    const worker = this.idle.pop() ?? (this.all.length < this.size ? this.spawn() : undefined);
    if (!worker) return;
    const job = this.queue.shift()!;
    const done = (answer: Answer | Error) => {
      worker.off('message', done).off('error', done);
      if (answer instanceof Error) job.reject(new DecryptionError(`A decrypting thread failed: ${answer.message}`));
      else if (answer.ok) job.resolve('written' in answer ? answer.written : { plaintext: answer.plaintext, sha256: answer.sha256 });
      else job.reject(new DecryptionError(`Could not decrypt: ${answer.message}`));
      if (!(answer instanceof Error)) this.idle.push(worker);
      else this.all.splice(this.all.indexOf(worker), 1);
      this.next();
    };
    worker.on('message', done).on('error', done);
    // A part given as bytes is cloned (the caller's stays as it was), and copied into the worker's memory there.
    worker.postMessage({ object: job.object, key: job.key, target: job.target });
  }

  private spawn(): Worker {
    const worker = new Worker(workerSource(), { eval: true });
    this.all.push(worker);
    return worker;
  }
}

/** The worker's bundle, put here by the CLI's bundle (newsroom/cli-bundle.ts); absent through tsx. */
declare const SEALDROP_PART_WORKER: string | undefined;
let bundled: string | undefined;

/**
 * The worker's code as one plain-JavaScript bundle: a thread that registered tsx and compiled its
 * TypeScript itself cost 0.2 s of CPU to start, most of a small run's time. The CLI's bundle
 * carries it ready-made; through tsx it is made once per run (esbuild, about 0.1 s).
 */
export function workerSource(): string {
  if (typeof SEALDROP_PART_WORKER === 'string') return SEALDROP_PART_WORKER;
  // esbuild is loaded only here: the CLI's bundle never needs it.
  const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  bundled ??= buildSync(workerBuild()).outputFiles[0]!.text;
  return bundled;
}

/** How the worker's code is bundled, here and into the CLI's bundle. */
export const workerBuild = () => ({
  entryPoints: [fileURLToPath(new URL('./part-worker.ts', import.meta.url))],
  bundle: true, platform: 'node' as const, format: 'cjs' as const, target: 'node20', write: false as const, logLevel: 'silent' as const, metafile: true as const,
});

/**
 * Starts items 1..count ahead of a consumer that takes them in order, never more than `window`
 * started and not yet taken. A started item that fails is only reported when taken.
 */
export class ReadAhead<T> {
  private readonly started = new Map<number, Promise<T>>();
  private nextToStart = 1;
  /** Started and not yet taken, now and at most so far (the memory bound the tests check). */
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly count: number, private readonly start: (n: number) => Promise<T>, private readonly window: number) {}

  /** Waits for every item started and not taken to settle (however it ends): nothing of them runs on after. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.started.values());
  }

  take(n: number): Promise<T> {
    while (this.nextToStart <= Math.min(this.count, n + this.window - 1)) {
      const item = this.nextToStart++;
      const promise = this.start(item);
      promise.catch(() => undefined); // reported by take(), if anyone still asks
      this.started.set(item, promise);
      this.maxInFlight = Math.max(this.maxInFlight, ++this.inFlight);
    }
    const promise = this.started.get(n);
    if (!promise) throw new RangeError(`Item ${n} was taken already or is out of range.`);
    this.started.delete(n);
    this.inFlight--;
    return promise;
  }
}
