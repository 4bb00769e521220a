import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { loadConfig } from '../../../server/config.ts';
import { serve } from '../../../server/serve.ts';
import { openStore, type Store } from '../../../server/store/index.ts';
import { lockDataDir } from '../../../server/store/lock.ts';

// Threat: a second server on the same data directory sweeps the first one's in-flight uploads as orphans.
let dir: string;
let lockFile: string;
const releases: (() => void)[] = [];
const lock = () => {
  const release = lockDataDir(dir);
  releases.push(release);
  return release;
};

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-lock-'));
  lockFile = path.join(dir, 'sealdrop.lock');
});
afterEach(async () => {
  releases.splice(0).forEach((release) => release());
  await rm(dir, { recursive: true, force: true });
});

describe('the data-directory lock', () => {
  test('holds the pid of the server', () => {
    lock();
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
  });

  test('a second lock on the same directory throws while the first is held', () => {
    lock();
    expect(() => lock()).toThrow(`Another Sealdrop server is using ${dir} (pid ${process.pid}); stop it first.`);
  });

  test('a lock held by another live process is respected', () => {
    writeFileSync(lockFile, `${process.ppid}\n`);
    expect(() => lock()).toThrow(`(pid ${process.ppid})`);
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.ppid));
  });

  test('a stale lock with a dead pid is replaced', () => {
    writeFileSync(lockFile, '999999\n');
    lock();
    expect(readFileSync(lockFile, 'utf8').trim()).toBe(String(process.pid));
  });

  test('a lock with this pid that this process never took (a restarted container) is replaced', () => {
    writeFileSync(lockFile, `${process.pid}\n`);
    expect(() => lock()).not.toThrow();
  });

  test('release removes the file, and the directory can be locked again', () => {
    const release = lock();
    release();
    expect(existsSync(lockFile)).toBe(false);
    release(); // idempotent: close() may run twice
    lock();
    expect(existsSync(lockFile)).toBe(true);
  });
});

describe('serve', () => {
  const config = () => loadConfig({ SEALDROP_DATA: dir, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0' });

  test('refuses a second server on the same data directory, and frees it on close', async () => {
    const store = openStore(dir);
    try {
      const first = await serve(config(), store);
      await expect(serve(config(), store)).rejects.toThrow(/Another Sealdrop server is using/);
      expect(existsSync(lockFile)).toBe(true);
      await first.close();
      expect(existsSync(lockFile)).toBe(false);
    } finally {
      store.close();
    }
  });

  test('releases the lock when start-up fails after taking it', async () => {
    const broken = { submissions: { dropCutUploads: () => Promise.reject(new Error('disk gone')) } } as unknown as Store;
    await expect(serve(config(), broken)).rejects.toThrow('disk gone');
    expect(existsSync(lockFile)).toBe(false);
  });
});
