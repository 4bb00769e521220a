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
