import { expect, test } from 'vitest';
import { RENEW_AFTER_PARTS, SealPool } from '../../../client/source/seal-pool.ts';
import { firstByte as first, standInWorker } from '../../helpers/stand-in-worker.ts';

// The page's sealing workers are replaced after RENEW_AFTER_PARTS parts each: what a worker was
// handed, and WebCrypto's output, are garbage in its own heap, which Firefox collected so late that
// the page's memory followed the file (tests/e2e/firefox-large-upload.test.ts). A replaced worker
// ends only once its last part is back, and a replacement that does not start changes nothing.

type Stand = ReturnType<typeof standInWorker>;
const standIn = (_name: string) => standInWorker({ auto: false });

const part = (n: number) => new Uint8Array(8).fill(n);
const seal = (pool: SealPool, n: number) => pool.seal(part(n), new Uint8Array(32), new Uint8Array(0));
const settle = () => new Promise((r) => setTimeout(r, 0));

/** One worker sealing RENEW_AFTER_PARTS parts, each answered at once. */
async function sealRound(pool: SealPool, worker: Stand, from: number): Promise<number[]> {
  const out: number[] = [];
  for (let n = from; n < from + RENEW_AFTER_PARTS; n++) {
    const sealed = seal(pool, n);
    worker.release();
    out.push((await first(await sealed))!);
  }
  return out;
}

test(`after ${RENEW_AFTER_PARTS} parts a worker is replaced by a fresh one, and ends once it holds no part`, async () => {
  const old = standIn('old');
  const fresh = standIn('fresh');
  let started = 0;
  const pool = new SealPool([old] as unknown as Worker[], async () => (started++, fresh as unknown as Worker));
  expect(await sealRound(pool, old, 1)).toEqual(Array.from({ length: RENEW_AFTER_PARTS }, (_, i) => i + 1));
  await settle();
  expect(started).toBe(1);
  expect(old.terminated).toBe(true);
  const next = seal(pool, 9);
  fresh.release();
  expect(await first(await next)).toBe(9);
  expect(fresh.jobs).toHaveLength(1);
  expect(old.jobs).toHaveLength(RENEW_AFTER_PARTS);
  expect(pool.size).toBe(1);
});

test('a worker replaced while a part is still in it keeps that part, and ends when it comes back', async () => {
  const old = standIn('old');
  const fresh = standIn('fresh');
  let start!: (w: Worker) => void;
  const pool = new SealPool([old] as unknown as Worker[], () => new Promise<Worker>((r) => (start = r)));
  await sealRound(pool, old, 1);
  const inFlight = seal(pool, 7); // handed to the old worker: the fresh one is not ready yet
  start(fresh as unknown as Worker);
  await settle();
  expect(old.terminated).toBe(false);
  const after = seal(pool, 8);
  expect(fresh.jobs).toHaveLength(1);
  old.release();
  fresh.release();
  expect([await first(await inFlight), await first(await after)]).toEqual([7, 8]);
  expect(old.terminated).toBe(true);
  expect(fresh.terminated).toBe(false);
});

test('a replacement that fails to start leaves the old worker sealing; one that starts after the pool broke is ended', async () => {
  const old = standIn('old');
  const pool = new SealPool([old] as unknown as Worker[], () => Promise.reject(new Error('no worker')));
  await sealRound(pool, old, 1);
  await settle();
  expect(old.terminated).toBe(false);
  const again = seal(pool, 5);
  old.release();
  expect(await first(await again)).toBe(5);

  const a = standIn('a');
  const b = standIn('b');
  const late = standIn('late');
  let start!: (w: Worker) => void;
  const broken = new SealPool([a, b] as unknown as Worker[], () => new Promise<Worker>((r) => (start = r)));
  for (let n = 0; n < RENEW_AFTER_PARTS * 2; n++) {
    const sealed = seal(broken, n);
    a.release();
    await sealed.catch(() => undefined);
  }
  b.onerror!({ preventDefault() {} }); // the other worker: the pool is broken, `a` still in it
  expect(broken.broken).toBe(true);
  start(late as unknown as Worker);
  await settle();
  expect(late.terminated).toBe(true);
});
