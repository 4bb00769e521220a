// The server-side chains against GnuPG on the same bytes, in the same run: the no-JavaScript path
// (HTTP in, encrypt, durable store) against `gpg --encrypt`, and `sealdrop decrypt` of an export
// against `gpg -d` of its parts; OnionShare's receive mode, where Debian has it, for reference.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, readJournalistKey } from '../common/envelope/index.ts';
import { exportSubmissions } from '../server/cli/export.ts';
import { freshBundle } from '../bin/fresh-bundle.js';
import { sealdrop } from '../tests/helpers/cli.ts';
import { startInstance, type Instance } from '../tests/helpers/instance.ts';
import { randomFile, statCpuS } from './measure.ts';

const MiB = 1024 * 1024;
const run = promisify(execFile);
const r2 = (n: number) => +n.toFixed(2);
const timed = async (run: () => Promise<unknown> | unknown) => {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
};

/** Posts `file` as the no-JS form does, from curl: a client of its own, as a browser is, not on the server's event loop. */
async function postForm(url: string, file: string, cookie = ''): Promise<number> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-H', `Cookie: ${cookie}`, '-F', `files=@${file};filename=big.bin;type=application/octet-stream`, `${url}/submit`]);
  return Number(stdout);
}

/** A new source's first send, a message, without JavaScript: its session cookie (the server made a codename and a key pair). */
async function newSourceCookie(url: string): Promise<string> {
  const { stdout } = await run('curl', ['-s', '-o', '/dev/null', '-D', '-', '-F', 'message=first contact', `${url}/submit`]);
  const cookie = /^set-cookie: ([^;\r\n]+)/im.exec(stdout)?.[1];
  if (!cookie) throw new Error('the first send set no session cookie');
  return cookie;
}

export async function benchOnionShare(): Promise<void> {
  const mib = Number(process.env.BENCH_SPEED_MIB ?? 1024);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-os-'));
  try {
    const file = randomFile(dir, mib);
    await onionshare(file, mib, dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The sizes the two chains are measured at: BENCH_SPEED_MIB, one size or several separated by commas. */
const speedSizes = (): number[] => (process.env.BENCH_SPEED_MIB ?? '512,1024').split(',').map(Number);

export async function benchSpeed(): Promise<void> {
  for (const mib of speedSizes()) await speedAt(mib);
}

type Setup = { mib: number; dir: string; file: string; instance: Instance; privateKey: string; publicKey: string; gnupg: string; gpg: (args: string[]) => void };

/** Both chains at one size, on a fresh instance, each against gpg on the same bytes. */
async function speedAt(mib: number): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-speed-'));
  const instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(8 * 1024 * MiB) });
  try {
    const { publicKey, privateKey } = await generateKeyPair({ name: 'Bench' });
    await instance.addJournalist('bench', publicKey);
    const gnupg = path.join(dir, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    await writeFile(path.join(dir, 'key.asc'), privateKey);
    const gpg = (args: string[]) => void execFileSync('gpg', ['--batch', '--quiet', '--homedir', gnupg, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    gpg(['--import', path.join(dir, 'key.asc')]);
    const setup = { mib, dir, file: randomFile(dir, mib), instance, privateKey, publicKey, gnupg, gpg };
    await nojsLine(setup);
    await decryptLine(setup);
  } finally {
    await instance.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

const MBps = (mib: number, seconds: number) => r2((mib * MiB) / 1e6 / seconds);
/** The machine's one-minute load average: the machine is shared, and the figures move with it. */
const loadNow = () => r2(os.loadavg()[0]!);

/** Whether BENCH_ONLY (comma-separated line names) leaves `line` in; without it, every line runs. */
const wanted = (line: string) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY.split(',').includes(line);

/** CPU (user and system, ns) of this process's every thread: the instance runs in it, curl does not. */
const ownCpuNs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) * 1000;
};
const nsPerByte = (ns: number, mib: number) => r2(ns / (mib * MiB));

async function nojsLine({ mib, dir, file, instance, publicKey, gpg }: Setup): Promise<void> {
  // The file goes as a returning source's: a new source's first send also makes a codename and a
  // key pair (PBKDF2 and key generation, a fixed cost per source, reported as newSourceS), and
  // starts the encryption worker, which a running server did at its first send long before.
  let cookie = '';
  const newSourceS = await timed(async () => (cookie = await newSourceCookie(instance.sourceUrl)));
  let status = 0;
  const { fingerprint } = await readJournalistKey(publicKey);
  let gpgCpuS = 0; // gpg's own CPU (s), apart from curl's (also a child of this process)
  const gpgOnce = async () => {
    const cpuBefore = reapedCpuS();
    const seconds = await timed(() => gpg(['--trust-model', 'always', '--compress-algo', 'none', '--yes', '-r', fingerprint, '-o', path.join(dir, 'file.gpg'), '--encrypt', file]));
    gpgCpuS += (reapedCpuS() - cpuBefore) / 2;
    return seconds;
  };
  // gpg just before and just after the upload, their mean the peer: on a shared machine the load
  // moves within a minute, and one gpg run on one side of the upload gave ratios from 0.3 to 0.9.
  const gpgBefore = wanted('nojs_encrypt') ? await gpgOnce() : 0;
  const cpuBefore = ownCpuNs();
  const nojsS = await timed(async () => (status = await postForm(instance.sourceUrl, file, cookie)));
  const nojsCpu = ownCpuNs() - cpuBefore;
  if (status !== 303) throw new Error(`the no-JS upload answered ${status}`);
  if (!wanted('nojs_encrypt')) return; // the upload is still what decrypt_cli exports
  const gpgS = (gpgBefore + (await gpgOnce())) / 2;
  // CPU per byte moves far less with the machine's load than the rates do: a second view of the ratio.
  const cpu = { sealdropCpuNsPerByte: nsPerByte(nojsCpu, mib), gpgCpuNsPerByte: nsPerByte(gpgCpuS * 1e9, mib) };
  console.log(JSON.stringify({ name: 'nojs_encrypt', fileMiB: mib, sealdropMBps: MBps(mib, nojsS), gpgMBps: MBps(mib, gpgS), ratio: r2(gpgS / nojsS), target: '>= 0.7', ...cpu, newSourceS: r2(newSourceS), load: loadNow() }));
}

async function decryptLine({ mib, dir, instance, gnupg }: Setup): Promise<void> {
  if (!wanted('decrypt_cli')) return;
  const out = path.join(dir, 'export');
  await exportSubmissions(instance.store, out);
  // Whether it starts from npm run build's bundle or through tsx (a source saved since the build).
  const startedFrom = freshBundle(new URL('../node_modules/.cache/sealdrop/cli-builds/', import.meta.url), 'decrypt') ? 'bundle' : 'tsx';
  const cwd = await submissionDir(out);
  // Each side twice, gpg, sealdrop, sealdrop, gpg, each output deleted after its run: the first run
  // after the upload and export writes into memory this VM has handed back to its host, which costs
  // more on first touch (docs/benchmarks.md); in this order neither side gets all of that cost, and a
  // load that drifts during the line weighs on both alike. Each side's figure is its mean.
  const runs = { sealdrop: [] as Timed[], gpg: [] as Timed[] };
  for (const side of ['gpg', 'sealdrop', 'sealdrop', 'gpg'] as const) {
    runs[side].push(await (side === 'gpg' ? gpgDecrypt(cwd, gnupg, path.join(dir, 'gpg.out')) : sealdropDecrypt(dir, out)));
    await rm(path.join(dir, side === 'gpg' ? 'gpg.out' : 'plain'), { recursive: true, force: true });
  }
  const mean = (t: Timed[], k: keyof Timed) => t.reduce((n, x) => n + x[k], 0) / t.length;
  const [cliS, gpgS] = [mean(runs.sealdrop, 's'), mean(runs.gpg, 's')];
  console.log(JSON.stringify({
    name: 'decrypt_cli', fileMiB: mib, sealdropMBps: MBps(mib, cliS), gpgMBps: MBps(mib, gpgS), ratio: r2(gpgS / cliS), target: '>= 1.0',
    sealdropS: r2(cliS), gpgS: r2(gpgS), sealdropCpuS: r2(mean(runs.sealdrop, 'cpuS')), gpgCpuS: r2(mean(runs.gpg, 'cpuS')),
    runsS: { sealdrop: runs.sealdrop.map((t) => r2(t.s)), gpg: runs.gpg.map((t) => r2(t.s)) }, startedFrom, load: loadNow(),
  }));
}

/** A run's wall time and CPU (user and system, every thread; gpg-agent, a daemon, is not counted): under a shared machine's load CPU moves far less than the rates do. */
type Timed = { s: number; cpuS: number };

async function withCpu(fn: () => Promise<unknown>): Promise<Timed> {
  const cpu = reapedCpuS();
  const s = await timed(fn);
  return { s, cpuS: reapedCpuS() - cpu };
}

const sealdropDecrypt = (dir: string, out: string) => withCpu(async () => {
  const result = await sealdrop(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', out, '--out', path.join(dir, 'plain')]);
  if (result.code !== 0) throw new Error(`sealdrop decrypt exited ${result.code}: ${result.stderr}`);
});

/** As its users run it: every part of the submission, in order, into one stream. */
const gpgDecrypt = (cwd: string, gnupg: string, file: string) => withCpu(() => run('sh', ['-c', 'for p in part-*.pgp; do gpg --batch --quiet -d "$p" || exit 1; done > "$OUT"'], {
  cwd, env: { ...process.env, GNUPGHOME: gnupg, OUT: file },
}));

/** CPU seconds of the child processes this one has waited for. */
const reapedCpuS = () => statCpuS(readFileSync('/proc/self/stat', 'utf8'), 'children');

/** The export's submission with the most parts: the file, not the first message. */
async function submissionDir(out: string): Promise<string> {
  const dirs: string[] = [];
  for (const designation of await readdir(out)) for (const id of await readdir(path.join(out, designation))) dirs.push(path.join(out, designation, id));
  const counts = await Promise.all(dirs.map(async (d) => (await readdir(d)).length));
  return dirs[counts.indexOf(Math.max(...counts))]!;
}

/** OnionShare's receive mode on loopback (no Tor), the same file posted by curl. */
async function onionshare(file: string, mib: number, dir: string): Promise<void> {
  try {
    execFileSync('which', ['onionshare-cli'], { stdio: 'ignore' });
  } catch {
    return console.log(JSON.stringify({ name: 'onionshare_receive', skipped: 'onionshare-cli is not installed (apt-get install onionshare-cli)' }));
  }
  // Unbuffered, or the address it prints stays in Python's buffer; it also prints a progress line per 64 KiB.
  const child = spawn('onionshare-cli', ['--local-only', '--receive', '--data-dir', path.join(dir, 'onionshare')], { stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  try {
    let out = '';
    child.stdout.on('data', (d) => void (out.length < 100_000 && (out += d)));
    for (let i = 0; i < 100 && !/http:\/\/127\.0\.0\.1:\d+/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    const url = /http:\/\/127\.0\.0\.1:\d+/.exec(out)?.[0];
    if (!url) return console.log(JSON.stringify({ name: 'onionshare_receive', skipped: 'onionshare-cli did not start' }));
    // Asynchronously: onionshare prints a line per 64 KiB, and a blocked event loop would stop draining it (a deadlock).
    const seconds = await timed(() => run('curl', ['-s', '-o', '/dev/null', '--max-time', '600', '-F', `file[]=@${file}`, `${url}/upload-ajax`]));
    console.log(JSON.stringify({ name: 'onionshare_receive', fileMiB: mib, MBps: r2((mib * MiB) / 1e6 / seconds), note: 'local-only receive mode, plaintext, for reference' }));
  } finally {
    child.kill();
  }
}
