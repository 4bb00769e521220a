import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cp, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './ports.ts';

// A private Tor network on 127.0.0.1, no internet: three directory authorities that are also
// relays (and the only HSDirs), three plain relays, and client tors. Sealdrop's own tor joins it
// through `torrcFile` (SEALDROP_TOR_TORRC). Every tor exits with this process (__OwningControllerProcess).
const run = promisify(execFile);
const TOR = '/usr/sbin/tor';
const CACHE = path.join(os.tmpdir(), 'sealdrop-tor-authorities-v1');

export type TorNetwork = {
  torrcFile: string;
  socksPort: number;
  startClient(o?: { onionAuth?: string[] }): Promise<{ socksPort: number; stop(): Promise<void> }>;
  stop(): Promise<void>;
};

/** Authority keys are slow-ish to make and never change: made once per machine, atomically. */
async function authorityKeys(n: number): Promise<string> {
  const dir = path.join(CACHE, `auth${n}`);
  if (existsSync(path.join(dir, 'keys/authority_certificate'))) return dir;
  const temp = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-tor-gencert-'));
  await mkdir(path.join(temp, 'keys'), { recursive: true, mode: 0o700 });
  const k = (f: string) => path.join(temp, 'keys', f);
  await new Promise<void>((resolve, reject) => {
    const child = spawn('tor-gencert', ['--create-identity-key', '-m', '24', '-i', k('authority_identity_key'), '-s', k('authority_signing_key'), '-c', k('authority_certificate'), '--passphrase-fd', '0'], { stdio: ['pipe', 'ignore', 'ignore'] });
    child.stdin.end('\n');
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`tor-gencert exited ${code}`))));
  });
  await run(TOR, ['--list-fingerprint', '--DataDirectory', temp, '--ORPort', '1', '--Address', '127.0.0.1', '--Nickname', `auth${n}`, '--quiet']);
  await mkdir(CACHE, { recursive: true });
  await rename(temp, dir).catch(async () => rm(temp, { recursive: true, force: true })); // another worker won the race
  return dir;
}

const fingerprintOf = async (dataDir: string) => (await readFile(path.join(dataDir, 'fingerprint'), 'utf8')).trim().split(/\s+/)[1]!;
const v3identOf = async (dataDir: string) => /^fingerprint (\w+)$/m.exec(await readFile(path.join(dataDir, 'keys/authority_certificate'), 'utf8'))![1]!;

type Node = { child: ChildProcess; exited: Promise<unknown> };

function startTor(torrc: string): Node {
  const child = spawn(TOR, ['-f', torrc, '__OwningControllerProcess', String(process.pid)], { stdio: 'ignore' });
  return { child, exited: new Promise((r) => child.once('exit', r)) };
}

async function stopTor(node: Node): Promise<void> {
  if (node.child.exitCode === null && node.child.signalCode === null) node.child.kill('SIGKILL');
  await node.exited;
}

const COMMON = ['TestingTorNetwork 1', 'AssumeReachable 1', 'PathsNeededToBuildCircuits 0.67', 'ShutdownWaitLength 0', 'SafeLogging 1', 'Log notice stdout'];

export async function startTorNetwork(): Promise<TorNetwork> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-tornet-'));
  const nodes: Node[] = [];
  const auths = await Promise.all([1, 2, 3].map(async (n) => {
    const dir = path.join(root, `auth${n}`);
    await cp(await authorityKeys(n), dir, { recursive: true });
    return { n, dir, orPort: await freePort(), dirPort: await freePort(), fingerprint: await fingerprintOf(dir), v3ident: await v3identOf(dir) };
  }));
  const network = [
    ...COMMON,
    ...auths.map((a) => `DirAuthority auth${a.n} orport=${a.orPort} no-v2 v3ident=${a.v3ident} 127.0.0.1:${a.dirPort} ${a.fingerprint}`),
  ];
  const torrcFile = path.join(root, 'network.torrc');
  await writeFile(torrcFile, `${network.join('\n')}\n`);
  const write = async (name: string, lines: string[]) => {
    const dir = path.join(root, name);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(path.join(dir, 'torrc'), [...network, `DataDirectory ${dir}`, ...lines].join('\n') + '\n');
    return path.join(dir, 'torrc');
  };
  const hsdirs = auths.map((a) => a.fingerprint).join(',');
  for (const a of auths) {
    nodes.push(startTor(await write(`auth${a.n}`, [
      `Nickname auth${a.n}`, 'Address 127.0.0.1', `ORPort ${a.orPort}`, `DirPort ${a.dirPort}`, 'SocksPort 0', 'ContactInfo test',
      'AuthoritativeDirectory 1', 'V3AuthoritativeDirectory 1', 'ExitPolicy reject *:*',
      'V3AuthVotingInterval 10', 'V3AuthVoteDelay 2', 'V3AuthDistDelay 2',
      'TestingV3AuthInitialVotingInterval 10', 'TestingV3AuthInitialVoteDelay 2', 'TestingV3AuthInitialDistDelay 2',
      `TestingDirAuthVoteHSDir ${hsdirs}`, 'TestingDirAuthVoteHSDirIsStrict 1', 'TestingDirAuthVoteGuard *',
    ])));
  }
  for (const n of [1, 2, 3]) {
    nodes.push(startTor(await write(`relay${n}`, [`Nickname relay${n}`, 'Address 127.0.0.1', `ORPort ${await freePort()}`, 'SocksPort 0', 'DirCache 0', 'ExitRelay 0', 'ExitPolicy reject *:*'])));
  }
  const stop = async () => {
    await Promise.all(nodes.map(stopTor));
    await rm(root, { recursive: true, force: true });
  };
  try {
    await consensusListsAll(auths.map((a) => a.dirPort), 6);
  } catch (error) {
    await stop();
    throw error;
  }
  let clients = 0;
  const startClient = async (o: { onionAuth?: string[] } = {}) => {
    const name = `client${++clients}`;
    const socksPort = await freePort();
    const authDir = path.join(root, name, 'onion-auth');
    await mkdir(authDir, { recursive: true, mode: 0o700 });
    for (const [i, line] of (o.onionAuth ?? []).entries()) await writeFile(path.join(authDir, `key${i}.auth_private`), `${line}\n`, { mode: 0o600 });
    // ExtendedErrors: tor's SOCKS reply says why an onion did not open (0xF4 no key, 0xF5 wrong key...).
    const node = startTor(await write(name, [`SocksPort 127.0.0.1:${socksPort} ExtendedErrors`, `ClientOnionAuthDir ${authDir}`]));
    nodes.push(node);
    await waitForPort(socksPort);
    return { socksPort, stop: () => stopTor(node) };
  };
  const first = await startClient();
  return { torrcFile, socksPort: first.socksPort, startClient, stop };
}

async function waitForPort(port: number): Promise<void> {
  for (const deadline = Date.now() + 30_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 200))) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1', () => (s.destroy(), resolve(true)));
      s.on('error', () => resolve(false));
    });
    if (ok) return;
  }
  throw new Error(`no SOCKS port ${port}`);
}

/** Clients start only once every authority's consensus lists every relay: then circuits build at once. */
async function consensusListsAll(dirPorts: number[], relays: number): Promise<void> {
  const count = (port: number) =>
    new Promise<number>((resolve) => {
      http.get({ host: '127.0.0.1', port, path: '/tor/status-vote/current/consensus' }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d)).on('end', () => resolve(res.statusCode === 200 ? (text.match(/^r /gm) ?? []).length : 0));
      }).on('error', () => resolve(0));
    });
  for (const deadline = Date.now() + 120_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 1000))) {
    if ((await Promise.all(dirPorts.map(count))).every((n) => n >= relays)) return;
  }
  throw new Error('the private Tor network did not reach a full consensus within 120 s');
}
