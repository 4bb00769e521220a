// What every comparison in the bench needs: the same random bytes on disk for both sides, and the
// peak resident memory of this process (where the server under test runs) while one side goes.
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const MiB = 1024 * 1024;

/** A file of random bytes (dd from /dev/urandom: the bench process need not hold it). */
export function randomFile(dir: string, mib: number): string {
  const file = path.join(dir, `random-${mib}.bin`);
  execFileSync('dd', ['if=/dev/urandom', `of=${file}`, 'bs=1M', `count=${mib}`, 'status=none']);
  return file;
}

/** Runs `run`, sampling this process's RSS every 50 ms: its result, seconds and peak RSS. */
export async function rssPeakWhile<T>(run: () => Promise<T>): Promise<{ result: T; seconds: number; rssPeakMiB: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);
  const started = performance.now();
  try {
    const result = await run();
    return { result, seconds: (performance.now() - started) / 1000, rssPeakMiB: Math.round(peak / MiB) };
  } finally {
    clearInterval(timer);
  }
}

const TICKS_PER_S = 100; // USER_HZ on Linux: /proc counts CPU in 10 ms ticks

/**
 * CPU seconds from the text of a /proc/<pid>/stat: the process's own (utime + stime), or what its
 * reaped children took (cutime + cstime). The command's name may hold spaces and parentheses, so
 * the fields are read after its last ')'. An empty text (a process gone) counts 0.
 */
export function statCpuS(stat: string, whose: 'own' | 'children' = 'own'): number {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const at = whose === 'own' ? 11 : 13;
  return (Number(fields[at] ?? 0) + Number(fields[at + 1] ?? 0)) / TICKS_PER_S;
}
