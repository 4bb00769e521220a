// `disk_durable_ceiling`: how fast this machine's disk takes parts the way the server stores them
// (server/store/blobs.ts: each 4 MiB part written to a new file, fsynced, renamed, the directory
// fsynced), against the same writes left in the page cache, as the bare upload servers that the
// upload lines are measured against leave them. No store can be durable faster than this: it is the
// ceiling for server_concurrency and upload_local, which promise that an answered part survives
// kill -9 and a power loss.
import { randomBytes } from 'node:crypto';
import { mkdtemp, open, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeInPieces } from '../server/store/blobs.ts';

const MiB = 1024 * 1024;
const PART = 4 * MiB;

async function writePart(dir: string, name: string, data: Uint8Array, durable: boolean): Promise<void> {
  const temp = path.join(dir, `.${name}`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await writeInPieces(handle, data); // as the store writes (128 KiB a call), durable or not
    if (durable) await handle.sync();
  } finally {
    await handle.close();
  }
  await rename(temp, path.join(dir, name));
  if (!durable) return;
  const entry = await open(dir, 'r');
  try {
    await entry.sync();
  } finally {
    await entry.close();
  }
}

/** MB/s for `parts` parts, `together` written at once (as requests arriving together are). */
async function rate(dir: string, parts: number, together: number, durable: boolean): Promise<number> {
  const data = randomBytes(PART);
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    for (let n = next++; n < parts; n = next++) await writePart(dir, `${durable ? 'd' : 'c'}-${n}`, data, durable);
  };
  await Promise.all(Array.from({ length: together }, lane));
  return (parts * PART) / 1e6 / ((performance.now() - started) / 1000);
}

export async function benchDiskCeiling(totalMiB = Number(process.env.BENCH_DISK_MIB ?? 1024), together = 4): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-disk-'));
  try {
    const parts = Math.max(1, Math.round(totalMiB / 4));
    const durable = await rate(dir, parts, together, true);
    const cached = await rate(dir, parts, together, false);
    console.log(JSON.stringify({
      name: 'disk_durable_ceiling', totalMiB: parts * 4, partMiB: 4, together,
      durableMBps: +durable.toFixed(1), cachedMBps: +cached.toFixed(1), ratio: +(durable / cached).toFixed(2), load1: +os.loadavg()[0]!.toFixed(2),
    }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
