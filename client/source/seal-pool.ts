// The source page's Web Workers that seal parts side by side (seal-worker.ts), off the page's
// thread. The page keeps openpgp.js for what needs the journalists' keys (the PKESKs wrapping each
// part's fresh session key); a worker does the bulk encryption with WebCrypto. The plaintext is
// transferred to it, never copied; the sealed part comes back as a Blob in Gecko, as a transferred
// buffer elsewhere (BLOB_ANSWERS says why).
// Where workers cannot start (a CSP, an old browser), parts are sealed on the page as before:
// never sent unsealed.
import { encryptObject, type PartEncrypter, type PublicKey } from '../../common/envelope/index.ts';
import { SESSION_KEY_BYTES, wrapSessionKey } from '../../common/envelope/session-key.ts';
import type { SealAnswer, SealJob } from './seal-worker.ts';

export const SEAL_WORKER_URL = '/static/js/seal-worker.js';
// Two: resistFingerprinting (Tor Browser) reports a fixed number of cores, not the machine's (Firefox
// ESR with it said 4 on the 2-core test machine), and each worker more holds one more part at once:
// with four, Firefox at Safer peaked 170 MiB higher for 256 MiB than for 64 MiB (memory must not
// follow the file), for no gain on two cores.
const WORKERS = 2;
// A worker is replaced by a fresh one after this many parts (16 MiB): the plaintext handed to it
// and WebCrypto's output become garbage in the worker's own heap, which Firefox collected so late
// that the page's process peaked 200 to 250 MiB higher for 256 MiB than for 64 MiB. Ending the
// worker frees its heap at once, so memory no longer follows the file.
export const RENEW_AFTER_PARTS = 4;
/**
 * Sealed parts come back as Blobs made in the worker in Gecko (Firefox, Tor Browser), as
 * transferred buffers elsewhere. Firefox at Safer collected the page's received buffers so late
 * that its memory followed the file, and a worker's Blob left the page none to collect; Chromium
 * frees a Blob's memory only when the page collects it, and a page that allocates almost nothing
 * then never does: a 512 MiB send in Chromium stalled with Blob answers, and goes at full speed
 * with buffers (whose garbage makes the page collect). An engine test, not a feature test: no
 * feature tells these collectors apart.
 */
const BLOB_ANSWERS = typeof navigator !== 'undefined' && /\bGecko\/\d/.test(navigator.userAgent) && /\bFirefox\//.test(navigator.userAgent);
// Over a slow Tor circuit the worker's script is one more small download.
const START_TIMEOUT_MS = 30_000;

type Pending = { resolve(sealed: Uint8Array | Blob): void; reject(error: Error): void; worker: Worker };

/** Exported for its unit tests (tests/unit/envelope/seal-leftovers.test.ts, seal-renew.test.ts); the page uses sealInWorkers. */
export class SealPool {
  broken = false;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly sealed = new Map<Worker, number>();
  /** Replaced workers, ended once their last part is back. */
  private readonly retiring = new Set<Worker>();
  /**
   * A part-sized buffer made, never written, for each Blob answer, the last kept: Firefox runs its
   * collector by what is allocated, and a page that allocates nearly nothing kept every sent part's
   * Blob (its wrapper uncollected) for hundreds of MiB; this makes it collect as parts go. Untouched,
   * the buffer's pages are never committed: firefox-large-upload's page peaked 11 and 33 MiB higher
   * for 256 MiB than for 64 MiB with it, 107 to 178 without (quiet machine). Held on the pool and
   * read (`collectorHint`), so that no bundler or engine may drop the allocation as a dead store.
   */
  private hint: ArrayBuffer | null = null;

  /** `renew`: starts a fresh worker (startWorker); without it workers are kept for the page's life. */
  constructor(
    private workers: Worker[],
    private readonly renew?: () => Promise<Worker>,
  ) {
    for (const worker of workers) this.attach(worker);
  }

  private attach(worker: Worker): void {
    worker.onmessage = (event: MessageEvent<SealAnswer>) => this.answer(worker, event.data);
    worker.onerror = (event) => {
      event.preventDefault();
      this.fail(worker);
    };
    worker.onmessageerror = () => this.fail(worker);
  }

  /** Seals one part in the least busy live worker; `data` and `sessionKey` go with it (transferred). Call only while not broken. */
  seal(data: Uint8Array, sessionKey: Uint8Array, lead: Uint8Array): Promise<Uint8Array | Blob> {
    const worker = this.workers.reduce((a, b) => (this.load(b) < this.load(a) ? b : a));
    const id = this.nextId++;
    const job: SealJob = { id, data, sessionKey, lead, blob: BLOB_ANSWERS };
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, worker });
      try {
        worker.postMessage(job, [data.buffer as ArrayBuffer, sessionKey.buffer as ArrayBuffer]);
      } catch (error) {
        // Nothing was transferred: the key and the plaintext are still here, and nobody else will erase them.
        this.pending.delete(id);
        data.fill(0);
        sessionKey.fill(0);
        reject(error as Error);
      }
    });
  }

  /** Live workers. */
  get size(): number {
    return this.workers.length;
  }

  private load(worker: Worker): number {
    return [...this.pending.values()].filter((p) => p.worker === worker).length;
  }

  /** Bytes of the last collector hint (0: none yet, or parts come back as buffers). */
  get collectorHint(): number {
    return this.hint?.byteLength ?? 0;
  }

  private answer(worker: Worker, message: SealAnswer): void {
    if ('ready' in message) return;
    const pending = this.pending.get(message.id);
    this.pending.delete(message.id);
    if ('error' in message) pending?.reject(new Error(message.error));
    else {
      if (message.sealed instanceof Blob) this.hint = new ArrayBuffer(message.sealed.size);
      pending?.resolve(message.sealed);
    }
    // A worker dropped by fail() is no longer counted (nor renewed): it has ended.
    if (!this.workers.includes(worker) && !this.retiring.has(worker)) return;
    const count = (this.sealed.get(worker) ?? 0) + 1;
    this.sealed.set(worker, count);
    if (count === RENEW_AFTER_PARTS) this.replace(worker);
    this.endIfIdle(worker);
  }

  /**
   * Starts a fresh worker and, once it is ready, gives it `old`'s place; `old` ends when its last
   * part is back. Until then `old` keeps sealing, and if no fresh worker starts it simply stays:
   * the pool never has fewer workers than it had.
   */
  private replace(old: Worker): void {
    if (!this.renew) return;
    this.renew().then(
      (fresh) => {
        if (this.broken || !this.workers.includes(old)) return fresh.terminate();
        this.attach(fresh);
        this.workers = this.workers.map((w) => (w === old ? fresh : w));
        this.retiring.add(old);
        this.endIfIdle(old);
      },
      () => undefined,
    );
  }

  private endIfIdle(worker: Worker): void {
    if (!this.retiring.has(worker) || this.load(worker) > 0) return;
    this.retiring.delete(worker);
    this.sealed.delete(worker);
    worker.terminate();
  }

  /** A worker that fails mid-part took the plaintext with it: that send fails; later ones are sealed on the page. */
  private fail(worker: Worker): void {
    this.broken = true;
    // Stopped for good: whatever it still holds goes with it, and no part is handed to it again (it would never settle).
    worker.terminate();
    this.retiring.delete(worker);
    this.sealed.delete(worker);
    this.workers = this.workers.filter((w) => w !== worker);
    for (const [id, pending] of this.pending) {
      if (pending.worker !== worker) continue;
      this.pending.delete(id);
      pending.reject(new Error('A sealing worker stopped.'));
    }
  }
}

/** One worker, once its script has loaded and answered (a worker the CSP refused never answers). */
function startWorker(): Promise<Worker> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(SEAL_WORKER_URL, { name: 'sealdrop-seal' });
    const fail = () => {
      clearTimeout(timer);
      worker.terminate();
      reject(new Error('The sealing worker did not start.'));
    };
    const timer = setTimeout(fail, START_TIMEOUT_MS);
    worker.onerror = (event) => {
      event.preventDefault();
      fail();
    };
    worker.onmessage = (event: MessageEvent<SealAnswer>) => {
      if (!('ready' in event.data)) return;
      clearTimeout(timer);
      resolve(worker);
    };
  });
}

let started: Promise<SealPool | null> | null = null;

/** The page's one pool, started on first use and kept for the page's life; null if any worker failed to start. */
function pool(): Promise<SealPool | null> {
  started ??= Promise.allSettled(Array.from({ length: WORKERS }, startWorker)).then((results) => {
    // A worker that failed to start was terminated (startWorker); the others seal. None: the page seals on its own thread.
    const workers = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
    return workers.length > 0 ? new SealPool(workers, startWorker) : null;
  });
  return started;
}

/** The buffer is the part's alone (as File.slice and the sealer's padding make it), or a copy that is. */
const ownBuffer = (data: Uint8Array) => (data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? data : data.slice());

/**
 * SubmissionSealer's `encrypt` for a file of several parts: each part sealed in a worker under a
 * fresh session key wrapped here for `recipients`, with one part more in flight than workers so
 * that none waits. The plaintext's buffer is handed to the worker, which erases it. Without a pool,
 * one part at a time: several encryptions at once on the page's one thread gain nothing and hold more memory.
 */
export async function sealInWorkers(recipients: PublicKey[]): Promise<PartEncrypter<Blob>> {
  const workers = await pool();
  const parallel = workers && !workers.broken ? workers.size + 1 : 1;
  const encrypt = async (plaintext: Uint8Array): Promise<Uint8Array | Blob> => {
    if (!workers || workers.broken) return encryptObject({ data: plaintext, recipients });
    const sessionKey = crypto.getRandomValues(new Uint8Array(SESSION_KEY_BYTES));
    let lead: Uint8Array;
    try {
      lead = await wrapSessionKey(sessionKey, recipients);
    } catch (error) {
      sessionKey.fill(0);
      throw error;
    }
    // A worker may have failed while the key was wrapped: this part is sealed on the page instead.
    if (workers.broken) {
      sessionKey.fill(0);
      return encryptObject({ data: plaintext, recipients });
    }
    return workers.seal(ownBuffer(plaintext), sessionKey, lead);
  };
  return Object.assign(encrypt, { parallel });
}
