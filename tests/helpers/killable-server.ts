import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { openStore, type Store } from '../../server/store/index.ts';
import { until } from './pages.ts';
import { freePort } from './ports.ts';

/**
 * The real server as a child process on fixed ports, so that a test can kill it (SIGKILL: no
 * clean-up of any kind) and start it again on the same data directory and address.
 */
export type KillableServer = {
  dataDir: string;
  sourceUrl: string;
  start(): Promise<void>;
  kill(): Promise<void>;
  /** Stops the server if running and opens the data directory, as the next start would. */
  openStore(): Store;
  cleanup(): Promise<void>;
};

export async function killableServer(journalistPublicKey: string, env: Record<string, string> = {}): Promise<KillableServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-killable-'));
  const dataDir = path.join(root, 'data');
  const store = openStore(dataDir);
  const key = await readJournalistKey(journalistPublicKey);
  store.journalists.add({ username: 'jo', fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
  store.close();
  const [sourcePort, journalistPort] = [await freePort(), await freePort()];
  let child: ChildProcess | null = null;
  const kill = async () => {
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child!.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  };
  return {
    dataDir,
    sourceUrl: `http://127.0.0.1:${sourcePort}`,
    async start() {
      let out = '';
      child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
        env: { ...process.env, SEALDROP_DATA: dataDir, SEALDROP_SOURCE_PORT: String(sourcePort), SEALDROP_JOURNALIST_PORT: String(journalistPort), TSX_DISABLE_CACHE: '1', ...env },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (out += d));
      child.stderr!.on('data', (d) => (out += d));
      await until(() => /source interface:\s+http/.test(out) || child!.exitCode !== null, 30_000, 'the server to start');
      if (child.exitCode !== null) throw new Error(`the server did not start: ${out}`);
    },
    kill,
    openStore() {
      return openStore(dataDir);
    },
    async cleanup() {
      await kill();
      await rm(root, { recursive: true, force: true });
    },
  };
}
