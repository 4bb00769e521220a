import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DecryptionError, EnvelopeError, SourceKeyError, UnsupportedKeyError, type KeyPair } from '../../common/envelope/index.ts';

/**
 * Source-key work done for an anonymous request, measured on the event loop of the 2-core test
 * machine: making a key pair (no-JS first submission) held it 90–190 ms, unlocking a pinned key
 * (two 16 MiB SHA-256 S2Ks, no-JS login) 45–105 ms; decrypting a 10 KB reply 2–6 ms. Both
 * listeners share that loop, so this work runs here, in worker threads, behind a bounded queue;
 * the loop's longest block while a worker does either is now 1–12 ms. PBKDF2 stays on the main
 * thread: WebCrypto runs it off the loop (4–19 ms of loop time measured).
 */
export type KeyTask =
  | { kind: 'generate'; passphrase: string }
  | { kind: 'open'; privateKey: string; passphrase: string; replies: Uint8Array[] }
  | { kind: 'seal'; memory: SharedArrayBuffer; at: number; length: number; recipients: string[] };
/** Where a part sealed in place lies in its memory, and its plaintext's SHA-256 (nojs/part-memory.ts). */
export type SealedPart = { start: number; end: number; sha256: string };
type Result<T extends KeyTask> = T extends { kind: 'generate' } ? KeyPair : T extends { kind: 'seal' } ? SealedPart : string[];

export type KeyPoolOptions = {
  /** Worker threads (default: one per core beyond the first, at most 2, at least 1). */
  workers?: number;
  /** Tasks waiting for a worker before new ones are refused with a 503. */
  maxQueued?: number;
  /** A task still running after this is abandoned and its worker replaced. */
  taskTimeoutMs?: number;
};

/** The queue is full: refused at once (a 503 at the HTTP layer) rather than building a backlog. */
export class KeyPoolBusyError extends Error {
  override name = 'KeyPoolBusyError';
  constructor() {
    super('The server is busy. Nothing was stored; please try again in a minute.');
  }
}

// Errors cross the thread as name and message; the envelope's classes are rebuilt so callers map them as usual.
const ERRORS: Record<string, new (message: string) => Error> = { DecryptionError, SourceKeyError, UnsupportedKeyError, EnvelopeError };

type Job = { id: number; task: KeyTask; resolve: (value: unknown) => void; reject: (error: Error) => void };
type Slot = { worker: Worker; job: Job | null; timer?: NodeJS.Timeout };

export class KeyPool {
  readonly #size: number;
  readonly #maxQueued: number;
  readonly #timeoutMs: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Job[] = [];
  #nextId = 0;

  constructor(options: KeyPoolOptions = {}) {
    this.#size = options.workers ?? Math.max(1, Math.min(2, availableParallelism() - 1));
    this.#maxQueued = options.maxQueued ?? 16;
    this.#timeoutMs = options.taskTimeoutMs ?? 60_000;
  }

  run<T extends KeyTask>(task: T): Promise<Result<T>> {
    if (this.#queue.length >= this.#maxQueued) return Promise.reject(new KeyPoolBusyError());
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, task, resolve: resolve as (value: unknown) => void, reject });
      this.#pump();
    });
  }

  /** Stops every worker; tasks still waiting or running are refused. */
  async close(): Promise<void> {
    for (const job of this.#queue.splice(0)) job.reject(new KeyPoolBusyError());
    await Promise.all(this.#slots.splice(0).map((slot) => this.#retire(slot, new KeyPoolBusyError())));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      const slot = this.#slots.find((s) => s.job === null) ?? (this.#slots.length < this.#size ? this.#spawn() : null);
      if (!slot) return;
      const job = this.#queue.shift()!;
      slot.job = job;
      slot.worker.ref(); // a task in flight keeps the process alive; an idle pool does not
      slot.timer = setTimeout(() => void this.#replace(slot, new Error('A key task took too long.')), this.#timeoutMs);
      // A part to seal lies in shared memory, posted and never moved or copied (nojs/part-memory.ts).
      slot.worker.postMessage({ id: job.id, task: job.task });
    }
  }

  #spawn(): Slot {
    const worker = new Worker(new URL('./key-worker-boot.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 256 } });
    const slot: Slot = { worker, job: null };
    worker.on('message', (m: { id: number; ok: boolean; value?: unknown; name?: string; message?: string }) => {
      const job = slot.job;
      if (!job || job.id !== m.id) return;
      this.#settle(slot);
      if (m.ok) job.resolve(m.value);
      else job.reject(new (ERRORS[m.name ?? ''] ?? Error)(m.message ?? 'A key task failed.'));
      this.#pump();
    });
    worker.on('error', (error) => void this.#replace(slot, error));
    worker.on('exit', () => void this.#replace(slot, new Error('A key worker stopped.')));
    worker.unref();
    this.#slots.push(slot);
    return slot;
  }

  #settle(slot: Slot): void {
    clearTimeout(slot.timer);
    slot.job = null;
    slot.worker.unref();
  }

  /** A worker that failed, stopped or overran is dropped with its task; the next task gets a new one. */
  async #replace(slot: Slot, error: Error): Promise<void> {
    const index = this.#slots.indexOf(slot);
    if (index === -1) return;
    this.#slots.splice(index, 1);
    await this.#retire(slot, error);
    this.#pump();
  }

  async #retire(slot: Slot, error: Error): Promise<void> {
    const job = slot.job;
    this.#settle(slot);
    job?.reject(error);
    await slot.worker.terminate();
  }
}

/** The one pool the source listener's routes share. */
export const keyPool = new KeyPool();

/**
 * Encrypting the parts of no-JavaScript uploads: on the main thread it was most of the path's CPU,
 * beside HTTP parsing and storage. One worker per core beyond the first; each upload has at most
 * two parts in it and its manifest, and at most 16 uploads run, so the queue never refuses one.
 */
export const encryptPool = new KeyPool({ workers: Math.max(1, availableParallelism() - 1), maxQueued: 48 });
