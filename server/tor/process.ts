import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { TorStartError } from './errors.ts';
import { torDir } from './services.ts';
import { childTorrc, type Targets } from './torrc.ts';

export { TorStartError };

export const TOR_BINARY = '/usr/sbin/tor';

export type RunningTor = {
  /** Resolves when tor has a circuit-ready connection to the network ("Bootstrapped 100%"). */
  bootstrapped: Promise<void>;
  stop(): Promise<void>;
};

export type TorOptions = { dataDir: string; targets: Targets; include?: string; log?: (line: string) => void };

/**
 * Runs tor as a child process with a torrc written for this start. Tor exits by itself if this
 * process dies (__OwningControllerProcess), so a killed Sealdrop never leaves a service published
 * that points at nothing. Resolves once tor has read its configuration; rejects if it cannot.
 */
export async function startTor(o: TorOptions): Promise<RunningTor> {
  if (!existsSync(TOR_BINARY)) throw new TorStartError(`tor is not installed (${TOR_BINARY}); on Debian: sudo apt-get install -y tor`);
  const torrc = path.join(torDir(o.dataDir), 'torrc');
  writeFileSync(torrc, childTorrc(o.dataDir, o.targets, o.include), { mode: 0o600 });
  const child = spawn(TOR_BINARY, ['-f', torrc, '__OwningControllerProcess', String(process.pid)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const problems: string[] = [];
  let ready!: () => void;
  const bootstrapped = new Promise<void>((resolve) => (ready = resolve));
  const started = new Promise<void>((resolve) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (/\[(warn|err)\]/.test(line)) problems.push(line.replace(/^.*?\[(warn|err)\] /, ''));
      if (/Bootstrapped \d+%/.test(line)) resolve();
      if (/Bootstrapped 100%/.test(line)) ready();
      o.log?.(line);
    });
  });
  child.stderr!.resume();
  child.once('error', () => undefined); // reported through exit below
  const early = await Promise.race([started.then(() => null), exited]);
  if (early !== null || child.exitCode !== null) {
    const why = problems.filter((p) => !/running Tor as root/.test(p)).slice(-3).join(' / ');
    throw new TorStartError(`tor stopped at start-up${why ? `: ${why}` : ''} (torrc: ${torrc})`);
  }
  return { bootstrapped, stop: () => stopTor(child, exited, o.dataDir) };
}

async function stopTor(child: ChildProcess, exited: Promise<unknown>, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  rmSync(path.join(torDir(dataDir), 'tor.pid'), { force: true });
}

/**
 * Asks the tor serving this data directory, if one runs, to re-read its client keys (SIGHUP).
 * The pid file is trusted only if that process is a tor started with this directory's torrc, so
 * a stale file never sends a signal to an unrelated process.
 */
export function reloadTor(dataDir: string): boolean {
  const dir = torDir(dataDir);
  try {
    const pid = Number(readFileSync(path.join(dir, 'tor.pid'), 'utf8').trim());
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (!Number.isSafeInteger(pid) || !cmdline.includes(path.join(dir, 'torrc'))) return false;
    process.kill(pid, 'SIGHUP');
    return true;
  } catch {
    return false;
  }
}
