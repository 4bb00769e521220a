import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { freePort } from './ports.ts';
import { serverArgs } from './server-bundle.ts';

/**
 * The real server as a child process on fixed ports, so that a test can kill it (SIGKILL: no
 * clean-up of any kind) and start it again on the same data directory and address.
 */
export type KillableServer = {
  dataDir: string;
  sourceUrl: string;
  journalistUrl: string;
  /** Starts the server; resolves once it listens (`ready: false`: as soon as it is spawned). */
  start(o?: { ready?: boolean }): Promise<void>;
  /** The running server's process id. */
  pid(): number;
  /** Everything the server has written to stdout and stderr since its last start. */
  output(): string;
  /** What it has written to stdout (its banner) and to stderr (its structured log) since its last start. */
  stdout(): string;
  stderr(): string;
  /** SIGKILL; resolves once it exited: whether it was still running then, and the signal that ended it. */
  kill(): Promise<Killed>;
  /** Sends a signal and waits for the exit: its code and how long it took. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; ms: number }>;
  /** The environment the server runs with (to start a second one on the same directory). */
  env: Record<string, string>;
  /** Stops the server if running and opens the data directory, as the next start would. */
  openStore(): Store;
  cleanup(): Promise<void>;
};

/** `running: false` means the server had already exited (a crash of its own) when the kill came. */
export type Killed = { running: boolean; signal: NodeJS.Signals | null };

export async function killableServer(journalistPublicKey: string, env: Record<string, string> = {}, prepare?: (store: Store, journalistId: number) => Promise<void>): Promise<KillableServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-killable-'));
  const dataDir = path.join(root, 'data');
  const store = openStore(dataDir);
  const key = await readJournalistKey(journalistPublicKey);
  const jo = store.journalists.add({ username: 'jo', fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: true });
  await prepare?.(store, jo.id);
  store.close();
  const [sourcePort, journalistPort] = [await freePort(), await freePort()];
  let child: ChildProcess | null = null;
  let out = '';
  let stdout = '';
  let stderr = '';
  const serverEnv = { SEALDROP_DATA: dataDir, SEALDROP_SOURCE_PORT: String(sourcePort), SEALDROP_JOURNALIST_PORT: String(journalistPort), ...env };
  const kill = async (): Promise<Killed> => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return { running: false, signal: child?.signalCode ?? null };
    const exited = new Promise<NodeJS.Signals | null>((r) => child!.once('exit', (_code, signal) => r(signal)));
    child.kill('SIGKILL');
    return { running: true, signal: await exited };
  };
  return {
    dataDir,
    sourceUrl: `http://127.0.0.1:${sourcePort}`,
    journalistUrl: `http://127.0.0.1:${journalistPort}`,
    output: () => out,
    stdout: () => stdout,
    stderr: () => stderr,
    pid: () => child!.pid!,
    async start({ ready = true } = {}) {
      [out, stdout, stderr] = ['', '', ''];
      child = spawn(process.execPath, serverArgs(), {
        env: { ...process.env, ...serverEnv },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      // Listening is known from the banner the moment it is written (not at the next poll): a test
      // that starts the server fifty times waits for nothing else.
      let listening: () => void = () => undefined;
      const banner = new Promise<void>((r) => (listening = r));
      let seen = false;
      const look = () => !seen && /source interface:\s+http/.test(out) && ((seen = true), listening());
      child.stdout!.on('data', (d) => ((out += d), (stdout += d), look()));
      child.stderr!.on('data', (d) => ((out += d), (stderr += d), look()));
      child.once('exit', () => listening());
      if (!ready) return;
      const timeout = setTimeout(() => listening(), 30_000);
      await banner;
      clearTimeout(timeout);
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the server did not start: ${out}`);
      if (!seen) throw new Error('timed out waiting for the server to start');
    },
    kill,
    env: serverEnv,
    async stop(signal = 'SIGTERM') {
      const running = child!;
      const started = performance.now();
      const exited = new Promise<number | null>((r) => running.once('exit', (code) => r(code)));
      running.kill(signal);
      return { code: await exited, ms: performance.now() - started };
    },
    openStore() {
      return openStore(dataDir);
    },
    async cleanup() {
      await kill();
      await rm(root, { recursive: true, force: true });
    },
  };
}
