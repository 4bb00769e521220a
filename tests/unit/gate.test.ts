import { describe, expect, test } from 'vitest';
import { Gate, GateBusyError } from '../../server/http/gate.ts';
import { HttpError } from '../../server/http/errors.ts';

const tick = () => new Promise((r) => setImmediate(r));
/** A piece of work that runs until its `finish` is called. */
function held() {
  let finish!: () => void;
  const done = new Promise<void>((r) => (finish = r));
  return { work: () => done, finish };
}

describe('Gate', () => {
  test('runs at most `width` at once and admits the waiting in arrival order', async () => {
    const gate = new Gate({ width: 2, queue: 10, maxWaitMs: 10_000 });
    const order: number[] = [];
    const jobs = Array.from({ length: 6 }, () => held());
    const runs = jobs.map((j, i) => gate.run(async () => (order.push(i), j.work())));
    await tick();
    expect(order).toEqual([0, 1]);
    jobs[1]!.finish();
    await tick();
    expect(order).toEqual([0, 1, 2]);
    jobs[0]!.finish();
    jobs[2]!.finish();
    await tick();
    expect(order).toEqual([0, 1, 2, 3, 4]);
    jobs.forEach((j) => j.finish());
    await Promise.all(runs);
    expect(order).toEqual([0, 1, 2, 3, 4, 5]);
  });

  test('a flood larger than the queue is refused at once with a 503, and a failed job frees its slot', async () => {
    const gate = new Gate({ width: 1, queue: 2, maxWaitMs: 10_000 });
    const first = held();
    const running = gate.run(first.work);
    const queued = [gate.run(async () => 'a'), gate.run(async () => 'b')];
    const refused = gate.run(async () => 'c');
    await expect(refused).rejects.toBeInstanceOf(GateBusyError);
    await expect(refused).rejects.toSatisfy((e: unknown) => e instanceof HttpError && e.status === 503);
    first.finish();
    await running;
    expect(await Promise.all(queued)).toEqual(['a', 'b']);
    await expect(gate.run(async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await gate.run(async () => 'free again')).toBe('free again');
  });

  test('a wait longer than maxWaitMs is refused, and a request whose client went away leaves the queue', async () => {
    const gate = new Gate({ width: 1, queue: 1, maxWaitMs: 50 });
    const first = held();
    const running = gate.run(first.work);
    const started = Date.now();
    await expect(gate.run(async () => 'late')).rejects.toBeInstanceOf(GateBusyError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);

    const gone = new AbortController();
    const abandoned = gate.run(async () => 'never', gone.signal);
    gone.abort();
    await expect(abandoned).rejects.toBeInstanceOf(GateBusyError);
    // The queue has room again: the abandoned request no longer holds its place.
    const next = gate.run(async () => 'next');
    first.finish();
    await running;
    expect(await next).toBe('next');
  });
});
