import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { until } from './pages.ts';

const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../bin/sealdrop.js');

/** `sealdrop onion` as an administrator runs it, in a child process whose printed lines are parsed. */
export type OnionServer = {
  sourceOnion: string;
  journalistOnion: string;
  sourceUrl: string;
  journalistUrl: string;
  /** The first-run setup link (an onion URL) and its access key, while no journalist exists. */
  setupLink: string | null;
  setupAuth: string | null;
  output(): string;
  stop(): Promise<void>;
};

export async function startOnionServer(dataDir: string, o: { torrc: string; env?: Record<string, string> }): Promise<OnionServer> {
  const child: ChildProcess = spawn(process.execPath, [BIN, 'onion', '--data', dataDir], {
    env: { ...process.env, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', SEALDROP_TOR_TORRC: o.torrc, TSX_DISABLE_CACHE: '1', ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const closed = new Promise((r) => child.once('close', r));
  await until(() => /Data directory:/.test(out) || child.exitCode !== null, 60_000, 'sealdrop onion to start');
  if (child.exitCode !== null) throw new Error(`sealdrop onion exited: ${out}`);
  await until(() => !/No journalist is set up/.test(out) || /Or from the command line/.test(out), 5_000, 'the setup lines');
  const match = (re: RegExp) => re.exec(out)?.[1] ?? null;
  return {
    sourceOnion: match(/Source onion address[^:]*:\s+http:\/\/(\S+?)\//)!,
    journalistOnion: match(/Journalist onion address[^:]*:\s+http:\/\/(\S+?)\//)!,
    sourceUrl: match(/source interface:\s+(http:\S+?)\/\s/)!,
    journalistUrl: match(/journalist interface:\s+(http:\S+?)\/\s/)!,
    setupLink: match(/^\s+(http:\/\/\S+\.onion\/setup\/\S+)$/m),
    setupAuth: match(/^\s+(\S+:descriptor:x25519:\S+)$/m),
    output: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      await closed;
    },
  };
}
