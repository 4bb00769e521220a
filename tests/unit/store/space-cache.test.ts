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
