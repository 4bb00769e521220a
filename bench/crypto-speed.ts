// The server-side chains against GnuPG on the same bytes, in the same run: the no-JavaScript path
// (HTTP in, encrypt, durable store) against `gpg --encrypt`, and `sealdrop decrypt` of an export
// against `gpg -d` of its parts; OnionShare's receive mode, where Debian has it, for reference.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, readJournalistKey } from '../common/envelope/index.ts';
import { exportSubmissions } from '../server/cli/export.ts';
import { sealdrop } from '../tests/helpers/cli.ts';
import { startInstance } from '../tests/helpers/instance.ts';
import { randomFile } from './measure.ts';

const MiB = 1024 * 1024;
const r2 = (n: number) => +n.toFixed(2);
const timed = async (run: () => Promise<unknown> | unknown) => {
  const started = performance.now();
  await run();
  return (performance.now() - started) / 1000;
};

/** Posts `file` as the no-JS form does, from curl: a client of its own, as a browser is, not on the server's event loop. */
async function postForm(url: string, file: string): Promise<number> {
  const { stdout } = await promisify(execFile)('curl', ['-s', '-o', '/dev/null', '-w', '%{http_code}', '-F', `files=@${file};filename=big.bin;type=application/octet-stream`, `${url}/submit`]);
  return Number(stdout);
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

export async function benchSpeed(): Promise<void> {
  const mib = Number(process.env.BENCH_SPEED_MIB ?? 1024);
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-speed-'));
  const instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(8 * 1024 * MiB) });
  try {
    const file = randomFile(dir, mib);
    const pair = await generateKeyPair({ name: 'Bench' });
    const { fingerprint } = await readJournalistKey(pair.publicKey);
    await instance.addJournalist('bench', pair.publicKey);
    const gnupg = path.join(dir, 'gnupg');
    await mkdir(gnupg, { mode: 0o700 });
    await writeFile(path.join(dir, 'key.asc'), pair.privateKey);
    const gpg = (args: string[]) => execFileSync('gpg', ['--batch', '--quiet', '--homedir', gnupg, ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    gpg(['--import', path.join(dir, 'key.asc')]);

    let status = 0;
    const nojsS = await timed(async () => (status = await postForm(instance.sourceUrl, file)));
    if (status !== 200) throw new Error(`the no-JS upload answered ${status}`);
    const gpgEncS = await timed(() => gpg(['--trust-model', 'always', '--compress-algo', 'none', '-r', fingerprint, '-o', path.join(dir, 'file.gpg'), '--encrypt', file]));
    const MBps = (s: number) => r2((mib * MiB) / 1e6 / s);
    console.log(JSON.stringify({ name: 'nojs_encrypt', fileMiB: mib, sealdropMBps: MBps(nojsS), gpgMBps: MBps(gpgEncS), ratio: r2(gpgEncS / nojsS), target: '>= 0.7' }));

    const out = path.join(dir, 'export');
    await exportSubmissions(instance.store, out);
    const plain = path.join(dir, 'plain');
    const cliS = await timed(async () => {
      const run = await sealdrop(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', out, '--out', plain]);
      if (run.code !== 0) throw new Error(`sealdrop decrypt exited ${run.code}: ${run.stderr}`);
    });
    const [designation] = await readdir(out);
    const [id] = await readdir(path.join(out, designation!));
    const sub = path.join(out, designation!, id!);
    const gpgDecS = await timed(async () => {
      for (const f of (await readdir(sub)).sort()) gpg(['-o', path.join(dir, `${f}.out`), '-d', path.join(sub, f)]);
    });
    console.log(JSON.stringify({ name: 'decrypt_cli', fileMiB: mib, sealdropMBps: MBps(cliS), gpgMBps: MBps(gpgDecS), ratio: r2(gpgDecS / cliS), target: '>= 0.7' }));
  } finally {
    await instance.stop();
    await rm(dir, { recursive: true, force: true });
  }
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
    const seconds = await timed(() => promisify(execFile)('curl', ['-s', '-o', '/dev/null', '--max-time', '600', '-F', `file[]=@${file}`, `${url}/upload-ajax`]));
    console.log(JSON.stringify({ name: 'onionshare_receive', fileMiB: mib, MBps: r2((mib * MiB) / 1e6 / seconds), note: 'local-only receive mode, plaintext, for reference' }));
  } finally {
    child.kill();
  }
}
