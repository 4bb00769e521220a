// A Web Worker of the source page (its own bundle, /static/js/seal-worker.js, started by
// seal-pool.ts): seals parts with WebCrypto (common/envelope/seipd-write.ts), off the page's thread
// and side by side with the others, fast even without a JIT (Tor Browser "Safer"). It never sees
// a journalist key: the page wraps each part's fresh session key (the PKESKs, `lead`) and hands it
// over with the plaintext; both are erased here once the part is sealed.
import { sealBulk } from '../../common/envelope/seipd-write.ts';

/**
 * What the page sends: one part, with the session key it is sealed under and the PKESKs that go
 * first; `blob`: answer with a Blob rather than the transferred buffer (seal-pool.ts says when).
 */
export type SealJob = { id: number; data: Uint8Array; sessionKey: Uint8Array; lead: Uint8Array; blob: boolean };
/** What the worker answers: the part's whole ciphertext (a Blob, or its buffer transferred), or why not. */
export type SealAnswer = { ready: true } | { id: number; sealed: Uint8Array | Blob } | { id: number; error: string };

const scope = globalThis as unknown as {
  onmessage: ((event: MessageEvent<SealJob>) => void) | null;
  postMessage(message: SealAnswer, options?: { transfer: Transferable[] }): void;
  /** How many parts this worker sealed: where a test, or a curious source in the devtools, sees that parts are sealed here. */
  sealedParts: number;
};
scope.sealedParts = 0;

async function seal(job: SealJob): Promise<void> {
  const random = crypto.getRandomValues(new Uint8Array(16));
  try {
    const sealed = await sealBulk(job.data, { sessionKey: job.sessionKey, random }, job.lead);
    scope.sealedParts++;
    if (job.blob) scope.postMessage({ id: job.id, sealed: new Blob([sealed as Uint8Array<ArrayBuffer>]) });
    else scope.postMessage({ id: job.id, sealed }, { transfer: [sealed.buffer] });
  } catch (error) {
    scope.postMessage({ id: job.id, error: error instanceof Error ? error.message : String(error) });
  } finally {
    job.data.fill(0);
    job.sessionKey.fill(0);
    random.fill(0);
  }
}

scope.onmessage = (event) => void seal(event.data);
// The page waits for this before it hands over any plaintext: a worker the CSP or the browser
// refused never says it, and the page then seals on its own thread instead.
scope.postMessage({ ready: true });
