import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';

let work: string;
let data: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-cli-'));
  data = path.join(work, 'data');
});
afterAll(() => rm(work, { recursive: true, force: true }));

describe('sealdrop journalist', () => {
  test('add, list and remove a journalist', async () => {
    const keyFile = path.join(work, 'jo.asc');
    await writeFile(keyFile, (await generateKeyPair({ name: 'Jo' })).publicKey);
    const added = await sealdrop(['journalist', 'add', '--data', data, '--username', 'jo', '--public-key', keyFile]);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/Added journalist jo with key [0-9A-F]{40}/);
    const again = await sealdrop(['journalist', 'add', '--data', data, '--username', 'jo2', '--public-key', keyFile]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already uses this key/);
    expect((await sealdrop(['journalist', 'list', '--data', data])).stdout).toMatch(/^jo\t[0-9A-F]{40}\tactive, not enrolled/m);
    expect((await sealdrop(['journalist', 'remove', '--data', data, '--username', 'jo'])).code).toBe(0);
    expect((await sealdrop(['journalist', 'list', '--data', data])).stdout).toMatch(/No journalists yet/);
  });

  test('--admin and enrol: a one-time link for the web interface', async () => {
    const keyFile = path.join(work, 'kim.asc');
    await writeFile(keyFile, (await generateKeyPair({ name: 'Kim' })).publicKey);
    const added = await sealdrop(['journalist', 'add', '--data', data, '--username', 'kim', '--public-key', keyFile, '--admin']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/\(administrator\)/);
    const first = /\/enrol\/([\w-]{43})/.exec(added.stdout)?.[1];
    const again = await sealdrop(['journalist', 'enrol', '--data', data, '--username', 'kim']);
    const second = /\/enrol\/([\w-]{43})/.exec(again.stdout)?.[1];
    expect(first).toBeDefined();
    expect(second).toBeDefined();
    expect(second).not.toBe(first);
    expect((await sealdrop(['journalist', 'list', '--data', data])).stdout).toMatch(/^kim\t[0-9A-F]{40}\tactive, admin, not enrolled/m);
  });

  test('a key GnuPG 2.2 could not read is refused with the reason and nothing is stored', async () => {
    const keyFile = path.join(work, 'aead.asc');
    const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'A' }], config: { aeadProtect: true } });
    await writeFile(keyFile, publicKey);
    const result = await sealdrop(['journalist', 'add', '--data', data, '--username', 'aead', '--public-key', keyFile]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/SEIPDv2/);
    expect((await sealdrop(['journalist', 'list', '--data', data])).stdout).not.toMatch(/aead/);
  });

  test.each([
    [['journalist', 'add', '--data', 'x', '--username', 'a'], /--public-key is required/],
    [['journalist', 'add', '--usernme', 'a'], /Unknown option '--usernme'/],
    [['journalist', 'add', '--username', 'Bad Name!', '--public-key', 'k'], /lower-case/],
    [['frobnicate'], /Unknown command/],
  ])('usage mistakes exit 2: %j', async (args, pattern) => {
    const result = await sealdrop(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(pattern);
  });

  test.each(['serve', 'onion', 'journalist', 'export', 'decrypt', 'verify-client', 'backup', 'restore'])('`sealdrop %s --help` answers with that command\'s usage, exit 0, and does nothing', async (command) => {
    const result = await sealdrop([command, '--help', '--data', data]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`^Usage:\\n\\n  sealdrop ${command}\\b`));
    expect(result.stderr).toBe('');
  });

  test('journalist enrol prints the whole address: the listener, or SEALDROP_JOURNALIST_URL', async () => {
    const listener = await sealdrop(['journalist', 'enrol', '--data', data, '--username', 'kim']);
    expect(listener.code, listener.stderr).toBe(0);
    expect(listener.stdout).toMatch(/^  http:\/\/127\.0\.0\.1:8081\/enrol\/[\w-]{20,}$/m);
    const tunnel = await sealdrop(['journalist', 'enrol', '--data', data, '--username', 'kim'], { SEALDROP_JOURNALIST_URL: 'https://desk.example.org:8443' });
    expect(tunnel.stdout).toMatch(/^  https:\/\/desk\.example\.org:8443\/enrol\/[\w-]{20,}$/m);
    const bad = await sealdrop(['journalist', 'enrol', '--data', data, '--username', 'kim'], { SEALDROP_JOURNALIST_URL: 'https://desk.example.org/x?y' });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/SEALDROP_JOURNALIST_URL must be an http or https address/);
  });

  test('a mistyped setting stops every command, decrypt included (it loads no store)', async () => {
    const result = await sealdrop(['decrypt', '--key', 'k', '--in', 'i', '--out', 'o'], { SEALDROP_DAT: 'x' });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/Unknown setting SEALDROP_DAT\b/);
  });

  test.each([
    [{ SEALDROP_DAT: 'elsewhere' }, /Unknown setting SEALDROP_DAT\b/],
    [{ SEALDROP_PART_SIZE: '4M' }, /SEALDROP_PART_SIZE must be a whole number/],
  ])('the CLI reads SEALDROP_* through the server\'s loader, so a bad setting fails: %j', async (env, pattern) => {
    const result = await sealdrop(['journalist', 'list', '--data', data], env);
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(pattern)]);
  });
});

test('npm start (server/main.ts) listens on both interfaces and says how to add a journalist', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, SEALDROP_DATA: path.join(work, 'main-data'), SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  try {
    await expect.poll(() => out, { timeout: 20_000 }).toMatch(/journalist add/);
    expect(out).toMatch(/one-time link[\s\S]*http:\/\/127\.0\.0\.1:\d+\/setup\/[\w-]{32}/);
    const source = /source interface:\s+(http:\S+)/.exec(out)![1]!;
    const journalist = /journalist interface:\s+(http:\S+)/.exec(out)![1]!;
    expect(await (await fetch(source)).text()).toContain('Submissions are not open yet');
    expect((await fetch(journalist)).status).toBe(200);
  } finally {
    child.kill('SIGTERM');
  }
  const code = await new Promise((r) => child.on('close', r));
  expect(code).toBe(0);
});

/** Runs server/main.ts as npm start does, to its exit. */
function runMain(env: Record<string, string>): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr }));
  });
}

describe('server/main.ts refuses to start with one clear line (no stack trace) and exit code 1', () => {
  test('a bad setting', async () => {
    const result = await runMain({ SEALDROP_DATA: path.join(work, 'bad-config'), SEALDROP_PART_SIZE: 'lots' });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sealdrop: SEALDROP_PART_SIZE must be a whole number, got "lots"\.$/)]);
  });

  test('a data directory another server holds', async () => {
    const dir = path.join(work, 'locked');
    await mkdir(dir, { recursive: true });
    // This test process is alive, so the lock it names is live.
    await writeFile(path.join(dir, 'sealdrop.lock'), `${process.pid}\n`);
    const result = await runMain({ SEALDROP_DATA: dir });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sealdrop: Another Sealdrop server is using .*locked/)]);
  });

  test('a key file that cannot be used', async () => {
    const keyFile = path.join(work, 'short.key');
    await writeFile(keyFile, 'too short');
    const result = await runMain({ SEALDROP_DATA: path.join(work, 'bad-key'), SEALDROP_KEY_FILE: keyFile });
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([expect.stringMatching(/^sealdrop: The key file .*short\.key must hold 32 random bytes/)]);
  });
});
