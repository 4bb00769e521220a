import { expect, test } from 'vitest';
import { SealPool } from '../../../client/source/seal-pool.ts';
import type { SealJob } from '../../../client/source/seal-worker.ts';

// A worker that failed is terminated: a part handed to it afterwards would never settle (the send
// would hang with no error). The pool must hand later parts to the workers still alive.

/** A worker's stand-in that seals (echoes) each job it is given, and records it. */
function echoWorker() {
  const w = {
    jobs: [] as number[],
    terminated: false,
    onmessage: null as null | ((e: { data: unknown }) => void),
    onerror: null as null | ((e: { preventDefault(): void }) => void),
    onmessageerror: null,
    postMessage(job: SealJob) {
      if (w.terminated) return; // as a terminated Worker: accepted, never answered
      w.jobs.push(job.id);
      queueMicrotask(() => w.onmessage!({ data: { id: job.id, sealed: new Blob([job.data as Uint8Array<ArrayBuffer>]) } }));
    },
    terminate: () => void (w.terminated = true),
  };
  return w;
}

test('after a worker fails, the next parts go to the live worker and are sealed', async () => {
  const dead = echoWorker();
  const live = echoWorker();
  const pool = new SealPool([dead, live] as unknown as Worker[]);
  expect(pool.size).toBe(2);
  dead.onerror!({ preventDefault() {} });
  expect(dead.terminated).toBe(true);
  expect(pool.size).toBe(1);
  const sealed = await Promise.all([1, 2].map((n) => pool.seal(new Uint8Array(8).fill(n), new Uint8Array(32), new Uint8Array(0))));
  expect(await Promise.all(sealed.map(async (s) => new Uint8Array(await s.arrayBuffer())[0]))).toEqual([1, 2]);
  expect(dead.jobs).toEqual([]);
  expect(live.jobs).toHaveLength(2);
});
