import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { until } from '../helpers/pages.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Threat: another account on the server (a compromised service, a shared host, a backup agent)
// reads the drop's data directory. Everything Sealdrop creates must be its user's alone (directories
// 0700, files 0600) whatever the umask it was started with, and a data directory made beforehand
// with 0755 must be tightened at start, with one log line saying so.

const BIN = path.resolve(import.meta.dirname, '../../bin/sealdrop.js');
let inputs: string;
let keyFile: string;
let publicKeyFile: string;

beforeAll(async () => {
  inputs = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-perm-keys-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  keyFile = path.join(inputs, 'jo-secret.asc');
  publicKeyFile = path.join(inputs, 'jo.asc');
  await writeFile(keyFile, pair.privateKey);
  await writeFile(publicKeyFile, pair.publicKey);
});
afterAll(() => rm(inputs, { recursive: true, force: true }));

/** Runs `node ARGS` under the given umask, as a shell with that umask would. */
function underUmask(umask: string, args: string[], env: Record<string, string>): ChildProcess {
  return spawn('sh', ['-c', `umask ${umask} && exec "$0" "$@"`, process.execPath, ...args], {
    cwd: path.resolve(import.meta.dirname, '../..'),
    env: { ...process.env, TSX_DISABLE_CACHE: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

async function cli(umask: string, args: string[]): Promise<string> {
  const child = underUmask(umask, [BIN, ...args], {});
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.once('close', resolve));
  expect(code, out).toBe(0);
  return out;
}

/** Every directory and file under `root`, with its permission bits. */
async function modes(root: string): Promise<Map<string, number>> {
  const found = new Map<string, number>();
  for (const entry of await readdir(root, { recursive: true })) {
    found.set(entry, (await lstat(path.join(root, entry))).mode & 0o777);
  }
  return found;
}

async function noJsSubmission(sourceUrl: string): Promise<void> {
  const { token } = await registerApiSource(sourceUrl);
  const boundary = `perm${randomBytes(6).toString('hex')}`;
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\nthe minutes\r\n--${boundary}--\r\n`;
  const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: `__Host-sealdrop-source=${token}`, 'sec-fetch-site': 'same-origin' };
  const res = await fetch(`${sourceUrl}/submit`, { method: 'POST', headers, body, redirect: 'manual' });
  expect(res.status).toBe(303);
}

// 000, the worst case, runs every command that writes (a journalist added, a no-JS submission,
// export, decrypt, onion --torrc-only); 022, the usual default, the server's start alone (the
// database, its journal, the key file, the lock). Both at once: each mostly waits for tsx to start.
// (process.umask is this worker's own: vitest runs each file in a forked process.)
for (const [umask, everything] of [['022', false], ['000', true]] as const) {
  test.concurrent(`umask ${umask}: ${everything ? 'the server and every CLI command that writes' : 'the server'} create(s) only 0700 directories and 0600 files, and a 0755 data directory is tightened once`, async () => {
    const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-perm-'));
    const data = path.join(root, 'data');
    await mkdir(data);
    await chmod(data, 0o755); // made beforehand, e.g. by `mkdir data` or an installer
    const server = underUmask(umask, ['--import', 'tsx', 'server/main.ts'], { SEALDROP_DATA: data, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0' });
    let log = '';
    server.stdout!.on('data', (d) => (log += d));
    server.stderr!.on('data', (d) => (log += d));
    try {
      await until(() => /source interface:\s+http/.test(log), 20_000, 'the server to start');
      const sourceUrl = /source interface:\s+(http:\S+)\//.exec(log)![1]!;
      if (everything) {
        await cli(umask, ['journalist', 'add', '--username', 'jo', '--public-key', publicKeyFile, '--data', data]);
        await noJsSubmission(sourceUrl);
        // The commands that write elsewhere, in this process under umask 000 (no 077 from the
        // entry point to fall back on): their own modes must hold. The journalist above went
        // through the real entry point under the shell's umask.
        const exported = path.join(root, 'export');
        const quiet = vi.spyOn(console, 'log').mockImplementation(() => {});
        const previous = process.umask(0o000);
        try {
          await (await import('../../server/cli/export.ts')).exportCommand(['--data', data, '--out', exported]);
          await (await import('../../newsroom/decrypt.ts')).decryptCommand(['--key', keyFile, '--in', exported, '--out', path.join(root, 'plain')]);
          await (await import('../../server/cli/onion.ts')).onionCommand(['--torrc-only', '--data', data, '--out', path.join(root, 'torrc')]);
        } finally {
          process.umask(previous);
          quiet.mockRestore();
        }
      }

      // The rollback journal the server made (kept, emptied, after each commit), and while a
      // transaction holds pages in it.
      const journalMode = async () => ((await lstat(path.join(data, 'sealdrop.sqlite-journal'))).mode & 0o777).toString(8);
      expect(await journalMode()).toBe('600');
      const db = new Database(path.join(data, 'sealdrop.sqlite'));
      db.pragma('journal_mode = TRUNCATE');
      db.exec("BEGIN IMMEDIATE; INSERT INTO settings (name, value) VALUES ('perm-test', 'x')");
      const during = await journalMode();
      db.exec('ROLLBACK');
      db.close();
      expect(during).toBe('600');

      expect(((await lstat(data)).mode & 0o777).toString(8)).toBe('700');
      const all = await modes(root);
      const made = ['data/sealdrop.sqlite', 'data/sealdrop.sqlite-journal', 'data/secret.key', 'data/sealdrop.lock'];
      for (const name of everything ? [...made, 'data/objects', 'data/tor', 'export', 'plain', 'torrc'] : made) expect([...all.keys()], name).toContain(name);
      if (everything) {
        expect([...all.keys()].filter((f) => f.startsWith('data/objects/')).length).toBeGreaterThan(1);
        expect([...all.keys()].filter((f) => f.startsWith('plain/') && f.endsWith('notes.txt'))).toHaveLength(1);
      }
      const open = [...all].filter(([, mode]) => mode & 0o077).map(([name, mode]) => `${name} ${mode.toString(8)}`);
      expect(open).toEqual([]);
      // Said once, in a word-only line: no path.
      expect(log.match(/"event":"data_dir_tightened"/g)).toHaveLength(1);
      expect(log).toMatch(/\{"level":"warn","event":"data_dir_tightened","entries":1\}/);
    } finally {
      server.kill('SIGTERM');
      await new Promise((r) => server.once('close', r));
      await rm(root, { recursive: true, force: true });
    }
  });
}

test('a key file made by hand under umask 022 (0644, outside the data directory) is tightened at open and counted once; one another user owns is refused', async () => {
  // `head -c 32 /dev/urandom > FILE` under the usual umask makes the key to every TOTP secret world-readable.
  const { openStore } = await import('../../server/store/index.ts');
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-perm-keyfile-'));
  try {
    const file = path.join(root, 'totp.key');
    await writeFile(file, randomBytes(32), { mode: 0o644 });
    await chmod(file, 0o644);
    const store = openStore(path.join(root, 'data'), { keyFile: file });
    expect(store.tightened).toBe(1);
    store.close();
    expect((await lstat(file)).mode & 0o777).toBe(0o600);
    const again = openStore(path.join(root, 'data'), { keyFile: file });
    expect(again.tightened).toBe(0);
    again.close();
    // Not ours: whoever owns it can read it, so it is not used (run as root, the test can chown it).
    if (process.getuid?.() === 0) {
      await chmod(file, 0o640);
      await chown(file, 65534, 65534);
      expect(() => openStore(path.join(root, 'data'), { keyFile: file })).toThrow(expect.objectContaining({ name: 'DataDirPermissionError', message: expect.stringMatching(/key file .* belongs to another user/) }));
      expect((await lstat(file)).mode & 0o777).toBe(0o640);
    }
    // A key file of the wrong size says how to make one that is private from the start.
    await rm(file);
    await writeFile(file, 'short', { mode: 0o600 });
    expect(() => openStore(path.join(root, 'data'), { keyFile: file })).toThrow(/\(umask 077; head -c 32 \/dev\/urandom > FILE\)/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
