import { expect, test } from 'vitest';
import { SealPool } from '../../../client/source/seal-pool.ts';
import { standInWorker } from '../../helpers/stand-in-worker.ts';
import type { SealJob } from '../../../client/source/seal-worker.ts';

// Loose ends of the seal pool (stop 33): the collector hint kept for Blob answers, and the count of
// parts per worker, which must not keep a worker that failed.

/** A stand-in whose answers are Blobs, as a worker in Gecko answers (seal-pool.ts, BLOB_ANSWERS). */
function blobWorker() {
  const w = standInWorker({ auto: true });
  const post = w.postMessage;
  w.postMessage = (job: SealJob) => post({ ...job, blob: true });
  return w;
}

const seal = (pool: SealPool, bytes: number) => pool.seal(new Uint8Array(bytes).fill(1), new Uint8Array(32), new Uint8Array(0));
/** The pool's count of parts sealed per worker (private: what the test checks is that nothing is left in it). */
const counted = (pool: SealPool) => (pool as unknown as { sealed: Map<unknown, number> }).sealed;

test('a Blob answer leaves a part-sized buffer held on the pool (the collector hint); buffer answers leave none', async () => {
  const blobs = new SealPool([blobWorker() as unknown as Worker]);
  expect(blobs.collectorHint).toBe(0);
  const sealed = await seal(blobs, 1000);
  expect(sealed).toBeInstanceOf(Blob);
  expect(blobs.collectorHint).toBe(1000);
  await seal(blobs, 3000);
  expect(blobs.collectorHint).toBe(3000); // the last one, not one per part
  const buffers = new SealPool([standInWorker({ auto: true }) as unknown as Worker]);
  expect(await seal(buffers, 1000)).toBeInstanceOf(Uint8Array);
  expect(buffers.collectorHint).toBe(0);
});

test('a worker that fails is no longer counted, even if an answer of its own comes after', async () => {
  const failing = standInWorker({ auto: false });
  const live = standInWorker({ auto: true });
  const pool = new SealPool([failing, live] as unknown as Worker[]);
  const first = seal(pool, 8);
  failing.release();
  await first;
  expect(counted(pool).get(failing as unknown as Worker)).toBe(1);
  const late = seal(pool, 8); // the least busy worker: `failing` again (tied, first in line)
  expect(failing.jobs).toHaveLength(2);
  (pool as unknown as { fail(w: unknown): void }).fail(failing);
  await expect(late).rejects.toThrow('A sealing worker stopped.');
  failing.release(); // its answer, already on its way when it failed
  expect(counted(pool).has(failing as unknown as Worker)).toBe(false);
  expect([...counted(pool).keys()]).toEqual([]);
  await seal(pool, 8);
  expect([...counted(pool).keys()]).toEqual([live]);
});
