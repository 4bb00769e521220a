import { readFileSync } from 'node:fs';

/**
 * Milliseconds of CPU this process spent while `work` ran synchronously. A bound on CPU time,
 * unlike one on wall-clock time, does not move when a loaded machine leaves the process waiting
 * for a core: it catches work that grows with hostile input, not a busy neighbour.
 */
export function cpuMs<T>(work: () => T): { value: T; ms: number } {
  const before = process.cpuUsage();
  const value = work();
  const used = process.cpuUsage(before);
  return { value, ms: (used.user + used.system) / 1000 };
}

/** Milliseconds of CPU the whole process (every thread: workers too) spent while `work` ran. */
export async function cpuMsAsync<T>(work: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const before = process.cpuUsage();
  const value = await work();
  const used = process.cpuUsage(before);
  return { value, ms: (used.user + used.system) / 1000 };
}

/** Fields of a /proc stat line after the process name (which may hold spaces), in clock ticks as ms. */
function statMs(path: string, first: number, second: number): number {
  const stat = readFileSync(path, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[first]) + Number(fields[second])) * 1000) / TICKS_PER_SECOND;
}
const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux that runs this suite

/**
 * CPU time of this process's main thread alone, in ms (Linux: /proc). schedstat counts it in
 * nanoseconds; a kernel without it gives only stat's 10 ms clock ticks.
 */
export function mainThreadCpuMs(): number {
  try {
    return Number(readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').split(' ')[0]) / 1e6;
  } catch {
    return statMs(`/proc/self/task/${process.pid}/stat`, 11, 12); // utime, stime
  }
}

/** CPU time of the child processes this process has waited for (a synchronous spawn, say), in ms. */
const childrenCpuMs = (): number => statMs('/proc/self/stat', 13, 14); // cutime, cstime

export type EventLoopWatch = {
  /** The most CPU the main thread spent between two turns of the loop. */
  longestHoldMs: number;
  mainThreadMs: number;
  /** Every thread of this process, and the child processes it waited for. */
  processMs: number;
};

/**
 * Watches how long the event loop is held: a timer turns every few ms and records the main thread's
 * CPU between two turns. The longest such stretch is work that ran without yielding (the time a
 * request waits behind it), counted in CPU, so a loaded machine that leaves the thread waiting for
 * a core does not count, while work on the loop does.
 */
export function watchEventLoop(): { stop(): EventLoopWatch } {
  const [start, processStart, childrenStart] = [mainThreadCpuMs(), process.cpuUsage(), childrenCpuMs()];
  let [last, longestHoldMs] = [start, 0];
  const turn = () => {
    const now = mainThreadCpuMs();
    longestHoldMs = Math.max(longestHoldMs, now - last);
    last = now;
  };
  const ticking = setInterval(turn, 2);
  return {
    stop() {
      turn(); // a hold just before this call has had no turn to record it
      clearInterval(ticking);
      const used = process.cpuUsage(processStart);
      return { longestHoldMs, mainThreadMs: last - start, processMs: (used.user + used.system) / 1000 + childrenCpuMs() - childrenStart };
    },
  };
}
