import { expect, test } from 'vitest';
import { SealPool } from '../../../client/source/seal-pool.ts';
import { firstByte, standInWorker } from '../../helpers/stand-in-worker.ts';

// A worker that failed is terminated: a part handed to it afterwards would never settle (the send
// would hang with no error). The pool must hand later parts to the workers still alive.

const echoWorker = () => standInWorker({ auto: true });

test('after a worker fails, the next parts go to the live worker and are sealed', async () => {
  const dead = echoWorker();
  const live = echoWorker();
  const pool = new SealPool([dead, live] as unknown as Worker[]);
  expect(pool.size).toBe(2);
  dead.onerror!({ preventDefault() {} });
  expect(dead.terminated).toBe(true);
  expect(pool.size).toBe(1);
  const sealed = await Promise.all([1, 2].map((n) => pool.seal(new Uint8Array(8).fill(n), new Uint8Array(32), new Uint8Array(0))));
  expect(await Promise.all(sealed.map(firstByte))).toEqual([1, 2]);
  expect(dead.jobs).toEqual([]);
  expect(live.jobs).toHaveLength(2);
});
