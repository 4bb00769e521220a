// The source's JavaScript upload path against a bare form post of the same bytes, in the same run:
// over a Tor-like link, on loopback, and in memory as the file grows.
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair } from '../common/envelope/index.ts';
import { launchChromium } from '../tests/helpers/browser.ts';
import { startInstance, type Instance } from '../tests/helpers/instance.ts';
import { startBareServer } from './bare-server.ts';
import { startRelay } from './link-relay.ts';
import { bareUpload, sealdropUpload, type PageRun } from './page-upload.ts';
import { randomFile, rssPeakWhile } from './measure.ts';

const MiB = 1024 * 1024;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const r2 = (n: number) => +n.toFixed(2);

async function sealdrop(): Promise<Instance> {
  const instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(8 * 1024 * MiB) });
  await instance.addJournalist('bench', (await generateKeyPair({ name: 'Bench' })).publicKey);
  return instance;
}

export async function benchUpload(): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-upload-'));
  const browser = await launchChromium();
  try {
    await torLikeLink(browser.context, dir);
    await localAndScaling(browser.context, dir);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

type Context = Awaited<ReturnType<typeof launchChromium>>['context'];

async function torLikeLink(context: Context, dir: string): Promise<void> {
  const mib = env('BENCH_TOR_MIB', 32);
  const delayMs = env('BENCH_TOR_DELAY_MS', 400);
  const rateMBps = env('BENCH_TOR_RATE_MBPS', 0.5);
  const file = randomFile(dir, mib);
  const instance = await sealdrop();
  const bare = await startBareServer();
  const link = { delayMs, bytesPerSecond: rateMBps * 1e6 };
  const toSealdrop = await startRelay({ target: Number(new URL(instance.sourceUrl).port), ...link });
  const toBare = await startRelay({ target: bare.port, ...link });
  try {
    const s = await sealdropUpload(context, `http://127.0.0.1:${toSealdrop.port}/`, file);
    const b = await bareUpload(context, `http://127.0.0.1:${toBare.port}/`, file);
    console.log(JSON.stringify({ name: 'tor_like_link', fileMiB: mib, delayMs, rateMBps, sealdropS: r2(s.seconds), bareS: r2(b.seconds), ratio: r2(s.seconds / b.seconds), target: '<= 1.10' }));
  } finally {
    await Promise.all([toSealdrop.close(), toBare.close(), bare.close(), instance.stop()]);
  }
}

type Measured = PageRun & { rss: number };

async function both(context: Context, file: string): Promise<{ s: Measured; b: Measured }> {
  const instance = await sealdrop();
  const bare = await startBareServer();
  try {
    const s = await rssPeakWhile(() => sealdropUpload(context, instance.sourceUrl, file));
    const b = await rssPeakWhile(() => bareUpload(context, bare.url, file));
    return { s: { ...s.result, rss: s.rssPeakMiB }, b: { ...b.result, rss: b.rssPeakMiB } };
  } finally {
    await Promise.all([bare.close(), instance.stop()]);
  }
}

async function localAndScaling(context: Context, dir: string): Promise<void> {
  const large = env('BENCH_LOCAL_MIB', 1024);
  const small = env('BENCH_SMALL_MIB', 16);
  const big = await both(context, randomFile(dir, large));
  const MBps = (run: PageRun) => r2((large * MiB) / 1e6 / run.seconds);
  console.log(JSON.stringify({
    name: 'upload_local', fileMiB: large, sealdropMBps: MBps(big.s), bareMBps: MBps(big.b), ratio: r2(big.b.seconds / big.s.seconds), target: '>= 0.5',
    sealdropServerRssPeakMiB: big.s.rss, bareServerRssPeakMiB: big.b.rss, sealdropBrowserRssPeakMiB: big.s.browserRssPeakMiB, bareBrowserRssPeakMiB: big.b.browserRssPeakMiB,
    sealdropPageHeapPeakMiB: big.s.heapPeakMiB,
  }));
  const little = await both(context, randomFile(dir, small));
  console.log(JSON.stringify({
    name: 'memory_scaling', smallMiB: small, largeMiB: large,
    serverRssPeakMiB: [little.s.rss, big.s.rss], browserRssPeakMiB: [little.s.browserRssPeakMiB, big.s.browserRssPeakMiB], pageHeapPeakMiB: [little.s.heapPeakMiB, big.s.heapPeakMiB],
    serverRatio: r2(big.s.rss / little.s.rss), browserRatio: r2(big.s.browserRssPeakMiB / little.s.browserRssPeakMiB), pageHeapRatio: r2(big.s.heapPeakMiB / little.s.heapPeakMiB), target: '<= 1.3',
  }));
}
