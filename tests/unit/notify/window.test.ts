import { afterEach, beforeEach, expect, onTestFinished, test, vi } from 'vitest';
import { setLogSink } from '../../../server/log/index.ts';
import { NoticeWindow } from '../../../server/notify/window.ts';

// The batching window on a fake clock: which windows give a notice, and when it goes out.
const W = 1000;
let sent: number[];
let flag: boolean;
let writes: boolean[];

/** `at` fixes the random moment as a fraction of the window; `wanted` says whether anyone would be told. */
function windowAt(o: { at?: number; fail?: boolean; wanted?: () => boolean } = {}): NoticeWindow {
  return new NoticeWindow({
    windowMs: W,
    ...(o.at !== undefined ? { pick: (n: number) => Math.floor(o.at! * n) } : {}),
    ...(o.wanted ? { wanted: o.wanted } : {}),
    pending: { read: () => flag, write: (p) => void (writes.push(p), (flag = p)) },
    deliver: async () => {
      sent.push(Date.now());
      if (o.fail) throw new Error('relay down');
    },
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0, toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'Date'] });
  sent = [];
  flag = false;
  writes = [];
});
afterEach(() => vi.useRealTimers());

test('several arrivals in one window give one notice, at a random moment of the next window', async () => {
  const w = windowAt();
  w.start();
  for (const at of [100, 350, 990]) {
    await vi.advanceTimersByTimeAsync(at - Date.now());
    w.arrived();
  }
  await vi.advanceTimersByTimeAsync(5 * W);
  expect(sent).toHaveLength(1);
  expect(sent[0]).toBeGreaterThanOrEqual(W);
  expect(sent[0]).toBeLessThan(2 * W);
  w.stop();
});

test('the moment is uniform over the next window, not the arrival time plus a delay', async () => {
  const moments: number[] = [];
  for (const r of [0, 0.5, 0.999]) {
    sent = [];
    vi.setSystemTime(0);
    const w = windowAt({ at: r });
    w.start();
    await vi.advanceTimersByTimeAsync(900);
    w.arrived();
    await vi.advanceTimersByTimeAsync(3 * W);
    w.stop();
    moments.push(sent[0]!);
  }
  // An arrival late in window 0 may be told of at the very start of window 1, or at its very end.
  // (A timer due at once runs a millisecond later, as node's timers do.)
  expect(moments[0]! - W).toBeLessThanOrEqual(1);
  expect(moments.slice(1)).toEqual([W + 500, W + 999]);
});

test('a window without arrivals sends nothing; each window with arrivals sends one', async () => {
  const w = windowAt();
  w.start();
  await vi.advanceTimersByTimeAsync(3 * W + 10); // windows 0-2 quiet
  expect(sent).toEqual([]);
  w.arrived(); // window 3
  await vi.advanceTimersByTimeAsync(W);
  w.arrived(); // window 4
  await vi.advanceTimersByTimeAsync(4 * W);
  expect(sent).toHaveLength(2);
  expect(Math.floor(sent[0]! / W)).toBe(4);
  expect(Math.floor(sent[1]! / W)).toBe(5);
  w.stop();
});

test('only a flag is kept, set after the arrival returns and cleared once the notice is out', async () => {
  const w = windowAt();
  w.start();
  w.arrived();
  expect(writes).toEqual([]); // nothing on the request's path
  await vi.advanceTimersByTimeAsync(1);
  expect(writes).toEqual([true]);
  w.arrived();
  await vi.advanceTimersByTimeAsync(1);
  expect(writes).toEqual([true]); // written once, not per arrival
  await vi.advanceTimersByTimeAsync(3 * W);
  expect(sent).toHaveLength(1);
  expect(writes).toEqual([true, false]);
  w.stop();
});

test('a notice owed at a restart goes out at a random moment of the first window after start', async () => {
  flag = true;
  vi.setSystemTime(50_000);
  const w = windowAt({ at: 0.25 });
  w.start();
  await vi.advanceTimersByTimeAsync(2 * W);
  expect(sent).toEqual([50_250]);
  expect(flag).toBe(false);
  w.stop();
});

test('a stop with a notice owed keeps the flag for the next start', async () => {
  const w = windowAt();
  w.start();
  w.arrived();
  w.stop(); // before the flag's own write and before the window ends
  expect(flag).toBe(true);
  await vi.advanceTimersByTimeAsync(5 * W);
  expect(sent).toEqual([]);
});

test('arrivals while a notice is on its way keep the flag for their own notice', async () => {
  const w = windowAt({ at: 0.5 });
  w.start();
  w.arrived();
  await vi.advanceTimersByTimeAsync(W + 100); // window 1 has begun
  w.arrived(); // window 1's own arrival, before window 0's notice at 1500
  await vi.advanceTimersByTimeAsync(500);
  expect(sent).toEqual([1500]);
  expect(flag).toBe(true);
  await vi.advanceTimersByTimeAsync(2 * W);
  expect(sent).toEqual([1500, 2500]);
  expect(flag).toBe(false);
  w.stop();
});

test('a deliver that throws is logged, not thrown, and the window goes on', async () => {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  onTestFinished(() => void setLogSink(restore));
  const w = windowAt({ fail: true });
  w.start();
  w.arrived();
  await vi.advanceTimersByTimeAsync(2 * W);
  w.arrived();
  await vi.advanceTimersByTimeAsync(2 * W);
  expect(sent).toHaveLength(2);
  expect(lines.map((l) => JSON.parse(l).event)).toEqual(['notice_failed', 'notice_failed']);
  w.stop();
});

test('the random moment comes from node:crypto, not Math.random (whose state a few outputs give away)', async () => {
  const spy = vi.spyOn(Math, 'random').mockImplementation(() => {
    throw new Error('Math.random was used');
  });
  onTestFinished(() => spy.mockRestore());
  const moments: number[] = [];
  for (let i = 0; i < 20; i++) {
    sent = [];
    vi.setSystemTime(0);
    const w = windowAt();
    w.start();
    w.arrived();
    await vi.advanceTimersByTimeAsync(3 * W);
    w.stop();
    moments.push(sent[0]!);
  }
  expect(spy).not.toHaveBeenCalled();
  for (const m of moments) expect(Math.floor(m / W)).toBe(1);
  expect(new Set(moments).size).toBeGreaterThan(1); // random, not a fixed delay
});

test('an arrival when nobody would be told is not noted: no flag, no notice; later arrivals are, once someone is', async () => {
  let anyone = false;
  const w = windowAt({ wanted: () => anyone });
  w.start();
  w.arrived();
  await vi.advanceTimersByTimeAsync(3 * W);
  expect([writes, sent]).toEqual([[], []]);
  anyone = true;
  w.arrived();
  await vi.advanceTimersByTimeAsync(3 * W);
  expect(writes).toEqual([true, false]);
  expect(sent).toHaveLength(1);
  w.stop();
});

test('a flag owed at a restart to nobody is cleared, and no notice is run for it', async () => {
  flag = true;
  const w = windowAt({ wanted: () => false });
  w.start();
  expect(flag).toBe(false);
  await vi.advanceTimersByTimeAsync(3 * W);
  expect(sent).toEqual([]);
  w.stop();
});

test('a flag write that fails at an arrival is logged with the notice, not at the arrival', async () => {
  const lines: string[] = [];
  const restore = setLogSink((l) => lines.push(l));
  onTestFinished(() => void setLogSink(restore));
  const w = new NoticeWindow({
    windowMs: W,
    pick: (n) => Math.floor(0.5 * n),
    pending: { read: () => false, write: (p) => { if (p) throw new Error('disk I/O error'); } },
    deliver: async () => void sent.push(Date.now()),
  });
  w.start();
  await vi.advanceTimersByTimeAsync(100);
  w.arrived();
  await vi.advanceTimersByTimeAsync(W); // past the arrival and the window's end, before the notice
  expect(lines).toEqual([]);
  await vi.advanceTimersByTimeAsync(W);
  expect(sent).toEqual([W + 500]);
  expect(lines.map((l) => JSON.parse(l))).toEqual([{ level: 'error', event: 'notice_failed', step: 'pending_flag', error: 'Error' }]);
  w.stop();
});
