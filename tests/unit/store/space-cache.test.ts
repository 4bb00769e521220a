// The free-space figure the upload guard uses (server/store/space.ts): read from the filesystem at
// most once a second while far above the floor, lowered by what it accepted since, read again near
// the floor, and never the reason for a refusal unless read just now.
import { expect, test } from 'vitest';
import { DiskFullError } from '../../../server/store/errors.ts';
import { spaceOf } from '../../../server/store/space.ts';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;

/** A filesystem whose free figure the test sets, counting reads, on a clock the test moves. */
function fakeDisk(free: number) {
  const disk = { free, reads: 0, clock: 0 };
  const space = spaceOf('/unused', { read: async () => (disk.reads++, disk.free), now: () => disk.clock, maxAgeMs: 1000, slack: 512 * MiB });
  return { disk, space };
}

test('far above the floor, one read serves the next requests of the same second', async () => {
  const { disk, space } = fakeDisk(100 * GiB);
  for (let i = 0; i < 10; i++) await space.ensure(4 * MiB, GiB);
  expect(disk.reads).toBe(1);
  disk.clock = 1001;
  await space.ensure(4 * MiB, GiB);
  expect(disk.reads).toBe(2);
});

test('what it accepted since the read counts against the figure: near the floor it reads again, and refuses on what it reads', async () => {
  const { disk, space } = fakeDisk(3 * GiB);
  await space.ensure(GiB, GiB); // read: 3 GiB, 2 GiB left by its own count
  await space.ensure(256 * MiB, GiB); // 1.75 GiB after it: still 512 MiB above the floor
  expect(disk.reads).toBe(1);
  // The uploads it let through filled the disk (the fake says so only when read again).
  disk.free = GiB + 100 * MiB;
  await expect(space.ensure(300 * MiB, GiB)).rejects.toBeInstanceOf(DiskFullError); // 1.45 GiB by its count: too near
  expect(disk.reads).toBe(2);
});

test('a refusal is never taken from the kept figure: room freed meanwhile is seen at once', async () => {
  const { disk, space } = fakeDisk(GiB + 10 * MiB);
  await expect(space.ensure(20 * MiB, GiB)).rejects.toBeInstanceOf(DiskFullError);
  disk.free = 50 * GiB; // a journalist deleted material within the same second
  await space.ensure(20 * MiB, GiB);
  expect(disk.reads).toBe(2);
});

// Security review, finding 2: a statfs cannot see what was accepted but not yet written, so each
// accepted upload holds a reservation counted against every figure, cached or read now.
test('six uploads of 500 MiB at once against 600 MiB above the floor: one is let in', async () => {
  const { space } = fakeDisk(GiB + 600 * MiB);
  const tries = await Promise.allSettled(Array.from({ length: 6 }, () => space.ensure(500 * MiB, GiB)));
  expect(tries.filter((t) => t.status === 'fulfilled')).toHaveLength(1);
  expect(tries.filter((t) => t.status === 'rejected' && t.reason instanceof DiskFullError)).toHaveLength(5);
  expect(space.reserved()).toBe(500 * MiB);
});

test('one after another, still one: the fresh read that follows each does not forget what the others hold', async () => {
  const { space } = fakeDisk(GiB + 600 * MiB);
  let accepted = 0;
  for (let i = 0; i < 6; i++) await space.ensure(500 * MiB, GiB).then(() => accepted++, () => undefined);
  expect(accepted).toBe(1);
});

test('far above the floor too, the cached figure counts what is held', async () => {
  const { disk, space } = fakeDisk(4 * GiB);
  await space.ensure(GiB, GiB); // read: 4 GiB
  await space.ensure(GiB, GiB); // cached: 4 - 1 - 1 = 2 GiB, still 512 MiB above the floor
  await expect(space.ensure(1.5 * GiB, GiB)).rejects.toBeInstanceOf(DiskFullError); // read again: 4 - 2 - 1.5 < 1
  expect(disk.reads).toBe(2);
});

test('a released reservation frees its room; one shrunk as its parts are written counts only the rest', async () => {
  const { disk, space } = fakeDisk(GiB + 600 * MiB);
  const first = await space.ensure(500 * MiB, GiB);
  await expect(space.ensure(500 * MiB, GiB)).rejects.toBeInstanceOf(DiskFullError);
  first.written(400 * MiB); // on disk now: the filesystem says so
  disk.free -= 400 * MiB;
  expect(space.reserved()).toBe(100 * MiB);
  await expect(space.ensure(150 * MiB, GiB)).rejects.toBeInstanceOf(DiskFullError); // 200 - 100 - 150 < 0
  first.release();
  first.release(); // twice gives back nothing more
  expect(space.reserved()).toBe(0);
  const second = await space.ensure(150 * MiB, GiB);
  second.release();
  expect(space.reserved()).toBe(0);
});

// Security review (stop 33), findings 1 and 3: a declared length is checked, not held; and only bytes
// written lower the kept figure (a reservation given back unwritten never reached the disk).
test('a check holds nothing; a reservation released unwritten leaves the kept figure as it was', async () => {
  const { disk, space } = fakeDisk(100 * GiB);
  await space.check(90 * GiB, GiB);
  expect(space.reserved()).toBe(0);
  await expect(space.check(99.5 * GiB, GiB)).rejects.toBeInstanceOf(DiskFullError);
  const r = await space.ensure(10 * GiB, GiB);
  r.release();
  await space.ensure(98 * GiB, GiB); // 100 - 98 leaves the floor and the slack: the kept figure serves, no read
  expect(disk.reads).toBe(2); // the refusal's read, and none since
});
