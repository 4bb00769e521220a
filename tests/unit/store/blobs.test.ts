import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import * as fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, test, vi } from 'vitest';
import { createFileBlobStore, WRITE_PIECE, type BlobStore } from '../../../server/store/blobs.ts';
import { DiskFullError } from '../../../server/store/errors.ts';
import { openDb, type Db } from '../../../server/store/db.ts';
import { submissionRepo } from '../../../server/store/submissions.ts';
import { SOURCE_KEY } from '../../helpers/sources.ts';
import { sourceRepo } from '../../../server/store/sources.ts';

// The filesystem calls are spied on (and still performed) so a test can make one of them fail mid-put.
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  return { ...real, open: vi.fn(real.open), rename: vi.fn(real.rename), utimes: vi.fn(real.utimes) };
});

const realOpen = (await vi.importActual<typeof import('node:fs/promises')>('node:fs/promises')).open;
let dir: string;
let objects: string;
let blobs: BlobStore;
const bytes = (s: string) => new TextEncoder().encode(s);
const files = () => readdir(objects);

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-blobs-'));
  objects = path.join(dir, 'objects');
  blobs = createFileBlobStore(objects);
});
afterEach(async () => {
  vi.clearAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('reading leaves no trace of when it happened', () => {
  test('read, readPrefix and stream keep the midnight access time (relatime would stamp the first read)', async () => {
    const name = await blobs.put(bytes('ciphertext'));
    const atime = async () => (await fsp.stat(path.join(objects, name))).atime.getTime();
    const midnight = await atime();
    expect(midnight % 86_400_000).toBe(0);
    await blobs.read(name);
    expect(new TextDecoder().decode(await blobs.readPrefix(name, 6))).toBe('cipher');
    for await (const _ of blobs.stream(name));
    expect(await atime()).toBe(midnight);
  });
});

describe('put', () => {
  test('leaves exactly one file, named by 32 random hex digits', async () => {
    const name = await blobs.put(bytes('ciphertext'));
    expect(name).toMatch(/^[0-9a-f]{32}$/);
    expect(await files()).toEqual([name]);
    expect(new TextDecoder().decode(await blobs.read(name))).toBe('ciphertext');
  });

  test.each([0, 1, WRITE_PIECE - 1, WRITE_PIECE, WRITE_PIECE + 1, 4 * 1024 * 1024 + 4301])('%i bytes: written in pieces of at most WRITE_PIECE (the kernel copies large writes at many times the CPU), then synced, and read back whole', async (size) => {
    const data = randomBytes(size);
    const writes: number[] = [];
    const synced: number[] = [];
    vi.mocked(fsp.open).mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await realOpen(...args);
      const [write, sync] = [handle.write.bind(handle), handle.sync.bind(handle)];
      handle.write = (async (...w: unknown[]) => (writes.push(w[2] as number), (write as (...x: unknown[]) => unknown)(...w))) as typeof handle.write;
      handle.sync = async () => (synced.push(writes.length), sync());
      return handle;
    });
    const name = await blobs.put(data);
    expect(writes.reduce((a, b) => a + b, 0)).toBe(size);
    expect(writes.every((n) => n > 0 && n <= WRITE_PIECE)).toBe(true);
    expect(writes).toHaveLength(Math.ceil(size / WRITE_PIECE));
    expect(synced).toEqual([writes.length]); // once, after the last write
    expect(Buffer.from(await blobs.read(name)).equals(data)).toBe(true);
  });

  test('syncs the objects directory after the rename, so the new entry survives a power loss', async () => {
    await blobs.put(bytes('ciphertext'));
    const opens = vi.mocked(fsp.open).mock.calls;
    expect(opens.at(-1)).toEqual([objects, 'r']);
    const renameOrder = vi.mocked(fsp.rename).mock.invocationCallOrder[0]!;
    expect(vi.mocked(fsp.open).mock.invocationCallOrder.at(-1)).toBeGreaterThan(renameOrder);
  });

  test.each([
    ['the rename', fsp.rename],
    ['setting the times', fsp.utimes],
  ] as const)('that fails at %s rejects and leaves no temporary file', async (_step, fn) => {
    await blobs.put(bytes('first')); // creates the directory, so only the failing step differs
    vi.mocked(fn as typeof fsp.rename).mockRejectedValueOnce(Object.assign(new Error('disk full'), { code: 'ENOSPC' }));
    await expect(blobs.put(bytes('second'))).rejects.toThrow(DiskFullError); // ENOSPC is told as the store's own, worded for the source
    const left = await files();
    expect(left.filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    expect(left).toHaveLength(1);
  });

  test('that fails to sync the directory rejects and removes the blob it can no longer name', async () => {
    await blobs.put(bytes('first'));
    const realOpen = vi.mocked(fsp.open).getMockImplementation()!;
    vi.mocked(fsp.open).mockImplementation(async (file, flags, mode) => {
      if (file === objects) throw Object.assign(new Error('EIO'), { code: 'EIO' });
      return realOpen(file, flags, mode);
    });
    await expect(blobs.put(bytes('second'))).rejects.toThrow('EIO');
    vi.mocked(fsp.open).mockImplementation(realOpen);
    expect(await files()).toHaveLength(1);
  });

  test('a disk that fills after the first piece: DiskFullError, and no temporary file or half object left', async () => {
    await blobs.put(bytes('first')); // creates the directory
    vi.mocked(fsp.open).mockImplementationOnce(async (...args: Parameters<typeof fsp.open>) => {
      const handle = await realOpen(...args);
      const write = handle.write.bind(handle) as (...w: unknown[]) => Promise<unknown>;
      let calls = 0;
      handle.write = (async (...w: unknown[]) => {
        if (++calls === 2) throw Object.assign(new Error('no space left on device'), { code: 'ENOSPC' });
        return write(...w);
      }) as typeof handle.write;
      return handle;
    });
    await expect(blobs.put(randomBytes(3 * WRITE_PIECE))).rejects.toThrow(DiskFullError);
    expect(await files()).toHaveLength(1); // the first object only
  });

  test('puts finishing together share directory syncs, and each is answered only after one that began after its rename', async () => {
    await blobs.put(bytes('first')); // creates the directory
    vi.clearAllMocks();
    const answered = vi.fn();
    const names = await Promise.all(Array.from({ length: 24 }, (_, i) => blobs.put(bytes(`part ${i}`)).then((name) => (answered(name), name))));
    const order = (fn: { mock: { calls: unknown[][]; invocationCallOrder: number[] } }, match: (args: unknown[]) => boolean) =>
      fn.mock.invocationCallOrder.filter((_, k) => match(fn.mock.calls[k]!));
    const dirSyncs = order(vi.mocked(fsp.open), (args) => args[0] === objects && args[1] === 'r');
    expect(dirSyncs.length).toBeLessThan(names.length);
    for (const name of names) {
      const [renamed] = order(vi.mocked(fsp.rename), (args) => args[1] === path.join(objects, name));
      const [answer] = order(answered, (args) => args[0] === name);
      expect(dirSyncs.some((s) => s > renamed! && s < answer!), name).toBe(true);
    }
  });

  test('into an objects path that is a file rejects and creates nothing', async () => {
    await fsp.writeFile(objects, 'not a directory');
    await expect(blobs.put(bytes('x'))).rejects.toThrow();
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });

  test('after the objects directory could not be made, the next put makes it (the failure is not kept)', async () => {
    await fsp.writeFile(objects, 'not a directory');
    await expect(blobs.put(bytes('x'))).rejects.toThrow();
    await rm(objects);
    const name = await blobs.put(bytes('y'));
    expect(await files()).toEqual([name]);
  });
});

describe('sweepOrphans', () => {
  let db: Db;
  beforeEach(() => {
    db = openDb(path.join(dir, 'sealdrop.sqlite'));
  });
  afterEach(() => db.close());

  test('keeps a blob recorded while the sweep is running', async () => {
    const name = await blobs.put(bytes('part'));
    const repo = submissionRepo(db, blobs);
    const source = sourceRepo(db).create({ loginSecret: 'a'.repeat(64), ...SOURCE_KEY, privateKey: 'k' });
    const submission = repo.create(source.id, 1);
    // Simulates an upload committing its row between the directory listing and the database query.
    const racing: BlobStore = {
      ...blobs,
      async list() {
        const names = await blobs.list();
        db.prepare('INSERT INTO parts (submission_id, n, blob, size) VALUES (?, 1, ?, 4)').run(submission, name);
        return names;
      },
    };
    await submissionRepo(db, racing).sweepOrphans();
    expect(await files()).toEqual([name]);
  });

  test('still removes a blob no row refers to', async () => {
    await blobs.put(bytes('orphan'));
    await submissionRepo(db, blobs).sweepOrphans();
    expect(await files()).toEqual([]);
  });
});
