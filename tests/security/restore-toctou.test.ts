import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { chmod, copyFile, mkdir, mkdtemp, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { newTotpSecret } from '../../server/auth/totp.ts';
import { BACKUP_PART_SIZE } from '../../server/cli/backup-format.ts';
import { BackupReader } from '../../server/cli/backup-reader.ts';
import { openStore } from '../../server/store/index.ts';
import { sealdrop, type CliResult } from '../helpers/cli.ts';

// Threat: whoever can write the backup file while restore runs (a shared USB stick, a network
// mount, another account) swaps its content between the read that checks --sha256 and the read
// that decrypts, so the digest does not cover what is restored: the operator checks the digest of
// their own backup A and gets the attacker's backup B (journalists and keys of their choosing).
// No race: restore reads its --key after the digest pass, so a FIFO as --key tells the test the
// moment to swap. The same for the key-file export, and for files that read differently each time.
let work: string;
let data: string;
let keyFile: string;
let armored: string;
const backups: Record<'a' | 'b' | 'enrolled', { file: string; digest: string }> = {} as never;
const BIN = path.resolve(import.meta.dirname, '../../bin/sealdrop.js');

async function backupOf(name: keyof typeof backups): Promise<void> {
  const file = path.join(work, `${name}.backup`);
  const made = await sealdrop(['backup', '--data', data, '--out', file]);
  expect(made.code, made.stderr).toBe(0);
  backups[name] = { file, digest: /^SHA-256: ([0-9a-f]{64})$/m.exec(made.stdout)![1]! };
}

/** `sealdrop restore` as a child process, its result, and the child (for the test to kill if it hangs). */
function restore(args: string[]): { child: ChildProcess; done: Promise<CliResult> } {
  const child = spawn(process.execPath, [BIN, 'restore', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return { child, done };
}

/** A named pipe (made by mkfifo, as an attacker with write access to the directory could). */
async function fifo(name: string): Promise<string> {
  const file = path.join(work, name);
  const made = await new Promise<number | null>((resolve) => spawn('mkfifo', [file]).on('close', resolve));
  expect(made).toBe(0);
  return file;
}

/** Nothing of the target is left: no data directory, no partial one beside it. */
async function nothingLeft(target: string): Promise<void> {
  expect((await readdir(work)).filter((f) => f.startsWith(path.basename(target)))).toEqual([]);
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-restore-toctou-'));
  data = path.join(work, 'data');
  const pair = await generateKeyPair({ name: 'ada' });
  armored = pair.privateKey;
  keyFile = path.join(work, 'ada.asc');
  await writeFile(keyFile, armored);
  await writeFile(path.join(work, 'ada.pub.asc'), pair.publicKey);
  await writeFile(path.join(work, 'mallory.pub.asc'), (await generateKeyPair({ name: 'mallory' })).publicKey);
  const add = (name: string, ...more: string[]) => sealdrop(['journalist', 'add', '--data', data, '--username', name, '--public-key', path.join(work, `${name}.pub.asc`), ...more]);
  expect((await add('ada', '--admin')).code).toBe(0);
  await backupOf('a'); // the operator's backup, whose digest they kept
  expect((await add('mallory')).code).toBe(0);
  await backupOf('b'); // the attacker's: sealed to the same public key (no secret needed), another journalist in it
  const store = openStore(data, { keyFile: path.join(data, 'secret.key') });
  try {
    store.journalists.setCredentials(store.journalists.get('ada').id, { passwordHash: '$argon2id$stand-in', totpSecret: newTotpSecret() });
  } finally {
    store.close();
  }
  await backupOf('enrolled'); // needs its key file back (--key-file-in)
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('restore checks the very bytes it restores', () => {
  test('a backup replaced after restore began reading it is refused, never restored unverified', async () => {
    const input = path.join(work, 'swapped.backup');
    await copyFile(backups.a.file, input);
    const keyPipe = await fifo('swap-key.fifo');
    const target = path.join(work, 'swapped-target');
    const run = restore(['--in', input, '--sha256', backups.a.digest, '--key', keyPipe, '--data', target]);
    // Should restore end without reading --key, open the pipe's other end so the wait below ends.
    void run.done.then(() => open(keyPipe, constants.O_RDONLY | constants.O_NONBLOCK).then((h) => h.close()));
    // The moment restore opens --key, swap the backup for B at the same path, then give the key.
    const key = await open(keyPipe, 'w');
    await copyFile(backups.b.file, `${input}.new`);
    await rename(`${input}.new`, input);
    await key.writeFile(armored);
    await key.close();
    const res = await run.done;
    // Restoring A (the bytes digested) would be right too; restoring B is the attack.
    expect(res.stdout).not.toMatch(/mallory/);
    expect(res.code, res.stdout).toBe(2);
    expect(res.stderr).toMatch(/not the backup whose digest you gave/);
    await nothingLeft(target);
  }, 30_000);

  test('a file that reads differently each time it is opened (a FIFO serving A, then B) is refused, and restore does not hang on it', async () => {
    const input = await fifo('changing.backup');
    // The writer serves A to the first open, B to the next; one process, killed at the end.
    const serve = 'const fs = require("node:fs"); for (const f of process.argv.slice(1, 3)) fs.writeFileSync(process.argv[3], fs.readFileSync(f));';
    const writer = spawn(process.execPath, ['-e', serve, backups.a.file, backups.b.file, input], { stdio: 'ignore' });
    const target = path.join(work, 'changing-target');
    try {
      const res = await restore(['--in', input, '--sha256', backups.a.digest, '--key', keyFile, '--data', target]).done;
      expect(res.stdout).not.toMatch(/mallory/);
      expect(res.stderr).toMatch(/is not a regular file/);
      expect(res.code).toBe(1);
    } finally {
      writer.kill();
    }
    await nothingLeft(target);
  }, 30_000);

  test('the key-file export is opened once: a FIFO in its place is refused at once, not waited on', async () => {
    const keyExport = await fifo('key-export.fifo');
    const target = path.join(work, 'key-fifo-target');
    const run = restore(['--in', backups.enrolled.file, '--sha256', backups.enrolled.digest, '--key', keyFile, '--key-file-in', keyExport, '--data', target]);
    // Today's restore would block on the open until someone writes: 10 s is far beyond a refusal.
    const timer = setTimeout(() => run.child.kill('SIGKILL'), 10_000); // a hung Node ignores SIGTERM
    const res = await run.done.finally(() => clearTimeout(timer));
    expect(res.code, 'restore hung on a FIFO').toBe(1);
    expect(res.stderr).toMatch(/is not a regular file/);
    await nothingLeft(target);
    // The real key file still works, through the same single open.
    const ok = await sealdrop(['restore', '--in', backups.enrolled.file, '--sha256', backups.enrolled.digest, '--key', keyFile, '--key-file-in', path.join(data, 'secret.key'), '--data', target]);
    expect(ok.code, ok.stderr).toBe(0);
    expect((await readFile(path.join(target, 'secret.key'))).equals(await readFile(path.join(data, 'secret.key')))).toBe(true);
  }, 30_000);

  test('a target under a directory another account can rename entries in is refused: the checked directory could be swapped before it is renamed into place', async () => {
    const shared = path.join(work, 'shared');
    await mkdir(shared);
    await chmod(shared, 0o777); // as a group- or world-writable mount point without the sticky bit
    const target = path.join(shared, 'restored');
    const res = await sealdrop(['restore', '--in', backups.a.file, '--sha256', backups.a.digest, '--key', keyFile, '--data', target]);
    expect(res.stderr).toMatch(/can be changed by another account \(mode 777\)/);
    expect(res.code).toBe(2);
    expect(await readdir(shared)).toEqual([]);
  }, 30_000);

  test('the digest is of the bytes read through restore\'s one descriptor: a file rewritten in place after it was opened does not match', async () => {
    for (const rewrite of [false, true]) {
      const file = path.join(work, `in-place-${rewrite}.backup`);
      await copyFile(backups.a.file, file);
      const reader = await BackupReader.open(file, BACKUP_PART_SIZE + 1024 * 1024);
      try {
        // Same inode, other bytes: B written over A once the manifest was read from A's end.
        if (rewrite) await writeFile(file, await readFile(backups.b.file));
        while (await reader.nextPart().catch(() => null)); // B's bytes may not even frame as parts
        expect(await reader.drainMatches(backups.a.digest)).toBe(!rewrite);
      } finally {
        await reader.close();
      }
    }
  });
});
