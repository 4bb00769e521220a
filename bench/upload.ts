// The source's JavaScript upload path against a bare form post of the same bytes, in the same run:
// over a Tor-like link, on loopback, and in memory as the file grows.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair } from '../common/envelope/index.ts';
import { chromium } from 'playwright-core';
import { CHROMIUM_FLAGS, launchChromium } from '../tests/helpers/browser.ts';
import { startInstance, type Instance } from '../tests/helpers/instance.ts';
import { startBareServer } from './bare-server.ts';
import { startRelay } from './link-relay.ts';
import { bareSend, bareUpload, sealdropSend, sealdropUpload, type PageRun } from './page-upload.ts';
import { randomFile, rssPeakWhile } from './measure.ts';

const MiB = 1024 * 1024;
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const r2 = (n: number) => +n.toFixed(2);

async function sealdrop(): Promise<Instance> {
  const instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(8 * 1024 * MiB) });
  await instance.addJournalist('bench', (await generateKeyPair({ name: 'Bench' })).publicKey);
  return instance;
}

type Context = Awaited<ReturnType<typeof launchChromium>>['context'];

/** Runs `lines` in one Chromium, with a scratch folder for the files; both go afterwards. */
async function inChromium(lines: ((context: Context, dir: string) => Promise<void>)[]): Promise<void> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-upload-'));
  const browser = await launchChromium();
  try {
    for (const line of lines) await line(browser.context, dir);
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

export const benchUpload = (): Promise<void> => inChromium([torLikeLink, localAndScaling]);

/** BENCH_ONLY=tor_like_link: only the Tor-like link's lines. */
export const benchTorLikeLink = (): Promise<void> => inChromium([torLikeLink]);

/**
 * tor_like_link: a new source sends through a relay that behaves like one Tor circuit (400 ms each
 * way, 0.5 MB/s shared by every connection), against a plain form post of the same bytes through
 * the same kind of relay: 16 MiB, 1 MiB, and a message alone. Each line says the round trips
 * (requests after the click) of both. BENCH_TOR_SIZES: which, comma-separated ("16,1,message").
 */
export async function torLikeLink(context: Context, dir: string): Promise<void> {
  const delayMs = env('BENCH_TOR_DELAY_MS', 400);
  const rateMBps = env('BENCH_TOR_RATE_MBPS', 0.5);
  const messageBytes = env('BENCH_TOR_MESSAGE_BYTES', 2000);
  const sizes = (process.env.BENCH_TOR_SIZES ?? '16,1,message').split(',');
  const instance = await sealdrop();
  const bare = await startBareServer();
  const link = { delayMs, bytesPerSecond: rateMBps * 1e6 };
  const toSealdrop = await startRelay({ target: Number(new URL(instance.sourceUrl).port), ...link });
  const toBare = await startRelay({ target: bare.port, ...link });
  try {
    for (const size of sizes) {
      const message = size === 'message';
      const sent = message ? { message: 'm'.repeat(messageBytes) } : { file: randomFile(dir, Number(size)) };
      const s = await sealdropSend(context, `http://127.0.0.1:${toSealdrop.port}/`, sent);
      const b = await bareSend(context, `http://127.0.0.1:${toBare.port}/`, sent);
      console.log(JSON.stringify({
        name: 'tor_like_link', ...(message ? { messageBytes } : { fileMiB: Number(size) }), delayMs, rateMBps,
        sealdropS: r2(s.seconds), bareS: r2(b.seconds), ratio: r2(s.seconds / b.seconds), sealdropRequests: s.requests, bareRequests: b.requests,
        target: size === '16' ? '<= 1.10' : '<= 1.3', load1: Number((await readFile('/proc/loadavg', 'utf8')).split(' ')[0]),
      }));
    }
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

/**
 * CPU seconds of each chain's whole run (page load and, for the page, the codename's derivation
 * included): the browser's processes, and this process, where both servers run. On two cores
 * shared by the browser and the server, their sum per byte sets the pace more than any one thread.
 */
const cpuOf = (s: PageRun, b: PageRun) => ({ sealdropCpuS: { browser: s.browserCpuS, bench: s.benchCpuS }, bareCpuS: { browser: b.browserCpuS, bench: b.benchCpuS } });

/** BENCH_ONLY=upload_local (or upload_local_safer, memory_scaling): only the loopback lines. */
export const benchUploadLocal = (): Promise<void> => inChromium([localAndScaling]);

/**
 * The page's upload in Chromium with V8's JIT off (--js-flags=--jitless: no JIT and no
 * WebAssembly, what Tor Browser's "Safer" level turns off in Firefox), in a browser of its own.
 * Its memory is not reported: the bench's other browser is open meanwhile.
 */
async function jitlessUpload(file: string): Promise<PageRun> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-bench-jitless-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_FLAGS, '--js-flags=--jitless'] });
  const instance = await sealdrop();
  try {
    return await sealdropUpload(context, instance.sourceUrl, file);
  } finally {
    await Promise.all([context.close(), instance.stop()]);
    await rm(profile, { recursive: true, force: true });
  }
}

/**
 * upload_local: the page's parts sealed in Web Workers (client/source/seal-pool.ts), against a
 * form post of the same file on loopback; upload_local_safer: the page's run again without a JIT,
 * against that same form post; memory_scaling: the same bounds for a small and a large file.
 */
async function localAndScaling(context: Context, dir: string): Promise<void> {
  const large = env('BENCH_LOCAL_MIB', 1024);
  const small = env('BENCH_SMALL_MIB', 16);
  const file = randomFile(dir, large);
  const big = await both(context, file);
  const MBps = (run: PageRun) => r2((large * MiB) / 1e6 / run.seconds);
  const load = () => r2(os.loadavg()[0]!);
  console.log(JSON.stringify({
    name: 'upload_local', fileMiB: large, sealdropMBps: MBps(big.s), bareMBps: MBps(big.b), ratio: r2(big.b.seconds / big.s.seconds), target: '>= 0.5',
    sealdropServerRssPeakMiB: big.s.rss, bareServerRssPeakMiB: big.b.rss, sealdropBrowserRssPeakMiB: big.s.browserRssPeakMiB, bareBrowserRssPeakMiB: big.b.browserRssPeakMiB,
    sealdropPageHeapPeakMiB: big.s.heapPeakMiB, ...cpuOf(big.s, big.b), loadAverage1m: load(),
  }));
  const safer = await jitlessUpload(file);
  console.log(JSON.stringify({
    name: 'upload_local_safer', fileMiB: large, browser: 'chromium --js-flags=--jitless', sealdropMBps: MBps(safer), bareMBps: MBps(big.b),
    ratio: r2(big.b.seconds / safer.seconds), target: '>= 0.5', sealdropPageHeapPeakMiB: safer.heapPeakMiB, ...cpuOf(safer, big.b), loadAverage1m: load(),
  }));
  const little = await both(context, randomFile(dir, small));
  console.log(JSON.stringify({
    name: 'memory_scaling', smallMiB: small, largeMiB: large,
    serverRssPeakMiB: [little.s.rss, big.s.rss], browserRssPeakMiB: [little.s.browserRssPeakMiB, big.s.browserRssPeakMiB], pageHeapPeakMiB: [little.s.heapPeakMiB, big.s.heapPeakMiB],
    serverRatio: r2(big.s.rss / little.s.rss), browserRatio: r2(big.s.browserRssPeakMiB / little.s.browserRssPeakMiB), pageHeapRatio: r2(big.s.heapPeakMiB / little.s.heapPeakMiB), target: '<= 1.3', loadAverage1m: load(),
  }));
}
