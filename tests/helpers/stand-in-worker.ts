import type { SealJob } from '../../client/source/seal-worker.ts';

// A sealing worker's stand-in for the seal pool's unit tests (Worker is not in Node): it "seals"
// each job by echoing its plaintext back, as a Blob or bytes as the job asks (seal-worker.ts).

/** `auto`: answers each job at once (next microtask); otherwise only when `release` is called. */
export function standInWorker(options: { auto: boolean }) {
  const w = {
    jobs: [] as number[],
    held: [] as (() => void)[],
    terminated: false,
    onmessage: null as null | ((e: { data: unknown }) => void),
    onerror: null as null | ((e: { preventDefault(): void }) => void),
    onmessageerror: null,
    postMessage(job: SealJob) {
      if (w.terminated) return; // as a terminated Worker: accepted, never answered
      w.jobs.push(job.id);
      const sealed = job.blob ? new Blob([job.data as Uint8Array<ArrayBuffer>]) : job.data;
      w.held.push(() => w.onmessage!({ data: { id: job.id, sealed } }));
      if (options.auto) queueMicrotask(() => w.release());
    },
    release() {
      for (const answer of w.held.splice(0)) answer();
    },
    terminate: () => void (w.terminated = true),
  };
  return w;
}

/** The first byte of a sealed (echoed) part. */
export const firstByte = async (sealed: Uint8Array | Blob) => (sealed instanceof Blob ? new Uint8Array(await sealed.arrayBuffer()) : sealed)[0];
