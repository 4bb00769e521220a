import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { until } from './pages.ts';
import { serverArgs } from './server-bundle.ts';

/**
 * `npm start` (after its build step) as a separate process, with its own data directory and its
 * own TMPDIR to inspect; `stdout` and `stderr` are all it has written so far (stderr: its
 * structured log).
 */
export type ChildServer = { dataDir: string; tmpDir: string; sourceUrl: string; stdout(): string; stderr(): string; stop(): Promise<void> };

export async function startChildServer(prepare: (dataDir: string) => Promise<void>): Promise<ChildServer> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-child-'));
  const dataDir = path.join(root, 'data');
  const tmpDir = path.join(root, 'tmp');
  await import('node:fs/promises').then((fs) => fs.mkdir(tmpDir));
  await prepare(dataDir);
  const child: ChildProcess = spawn(process.execPath, serverArgs(), {
    env: { ...process.env, SEALDROP_DATA: dataDir, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', TMPDIR: tmpDir, TSX_DISABLE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  await until(() => /source interface:\s+http/.test(out) && /"event":"started"/.test(err), 20_000, 'the server to start');
  const sourceUrl = /source interface:\s+(http:\S+)\//.exec(out)![1]!;
  return {
    dataDir,
    tmpDir,
    sourceUrl,
    stdout: () => out,
    stderr: () => err,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('close', r));
      await rm(root, { recursive: true, force: true });
    },
  };
}
