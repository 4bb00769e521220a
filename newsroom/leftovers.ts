import { randomBytes } from 'node:crypto';
import { readFileSync, rmdirSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import path from 'node:path';

// What an unfinished `sealdrop decrypt` (or safe-copy) run would leave in the output: the
// decrypted file being assembled (.sealdrop-partial-*), whose parts the workers write before
// their MDC and the manifest's digest are checked, a safe copy's work folder (.sealdrop-work-*),
// and the files finished so far. A run registers each before creating it; a failure or a signal
// removes them all, synchronously (no JavaScript of the run's runs in between, so nothing it
// creates meanwhile escapes). A SIGKILL or a power cut cannot be caught: those temporary names
// carry the process's id and start time, and the next run removes those whose process is gone.

/** A process's start time (clock ticks since boot, from /proc), or '' where there is no /proc. */
export function processStart(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? '';
  } catch {
    return '';
  }
}

const OWNER = `${process.pid}-${processStart(process.pid)}`;

/** A temporary name in the output that says which process owns it: .sealdrop-KIND-<pid>-<start>-<random>. */
export const ownedName = (kind: 'partial' | 'work'): string => `.sealdrop-${kind}-${OWNER}-${randomBytes(6).toString('hex')}`;

/** The run was stopped by a signal: nothing more may be created. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
}

/** What a stop must remove now: files and folders (removed whole), and folders removed if left empty. */
export class Leftovers {
  private readonly paths = new Set<string>();
  private readonly dirs: { dir: string; root: string }[] = [];
  stopped = false;

  /** Call before creating `file` (a file or a folder), so no moment exists when it is on disk and not listed. */
  add(file: string): void {
    if (this.stopped) throw new InterruptedError('Stopped.');
    this.paths.add(file);
  }

  /** `dir` and its parents up to (not including) `root` are removed where empty. */
  addDir(dir: string, root: string): void {
    this.dirs.push({ dir, root });
  }

  /** Finished and kept whatever happens next. */
  keep(file: string): void {
    this.paths.delete(file);
  }

  keepAll(): void {
    this.paths.clear();
    this.dirs.length = 0;
  }

  /** Removes everything listed, synchronously (a signal handler's last word before exit). */
  removeAll(): void {
    for (const file of this.paths) rmSync(file, { recursive: true, force: true });
    this.paths.clear();
    for (const { dir, root } of this.dirs.splice(0)) {
      for (let d = dir; d.startsWith(root + path.sep); d = path.dirname(d)) {
        try {
          rmdirSync(d);
        } catch {
          break; // not empty (or gone): its parents are not empty either
        }
      }
    }
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

/**
 * Runs `body` with SIGINT, SIGTERM and SIGHUP (Ctrl-C, kill, a closed terminal) handled: the
 * listed leftovers are removed at once, then `stop` ends the run's work (its threads), they are
 * removed again (anything created meanwhile), and the process exits with 128 + the signal's
 * number (130 for Ctrl-C). A second signal skips the wait for `stop`.
 */
export async function interruptible<T>(left: Leftovers, stop: () => Promise<void>, body: () => Promise<T>, note: () => string): Promise<T> {
  const onSignal = (signal: (typeof SIGNALS)[number]) => {
    const code = 128 + constants.signals[signal];
    left.removeAll();
    if (left.stopped) process.exit(code);
    left.stopped = true;
    console.error(`Stopped by ${signal}: ${note()}`);
    void stop().catch(() => undefined).then(() => {
      left.removeAll();
      process.exit(code);
    });
  };
  for (const s of SIGNALS) process.on(s, onSignal);
  try {
    const value = await body();
    if (!left.stopped) return value;
  } catch (error) {
    if (!left.stopped) throw error;
  } finally {
    if (!left.stopped) for (const s of SIGNALS) process.off(s, onSignal);
  }
  // Stopped: whatever the run did meanwhile (a failure its threads' end caused) goes unsaid; the handler exits.
  return new Promise<never>(() => undefined);
}
