// Drives Chromium through one upload: the Sealdrop source page (encrypting in the page) or the
// bare server's plain form, timing the upload itself and sampling the page's JS heap.
import { readdir, readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';
import { statCpuS } from './measure.ts';

/**
 * Seconds, the peak JS heap, the peak resident memory of every Chromium process (buffers live
 * outside the JS heap), and the CPU seconds the run took in those processes and in this one (the
 * server under test runs here): on two shared cores the chain's CPU per byte sets its pace.
 */
export type PageRun = { seconds: number; heapPeakMiB: number; browserRssPeakMiB: number; browserCpuS: number; benchCpuS: number };

const MiB = 1024 * 1024;

/**
 * The Chromium processes this bench started (descendants of this process; the bench runs one
 * browser at a time), each with its status: other people's browsers on a shared machine are not counted.
 */
async function ownChromium(): Promise<{ pid: number; status: string }[]> {
  const procs = new Map<number, { parent: number; status: string }>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const status = await readFile(`/proc/${entry}/status`, 'utf8').catch(() => '');
    procs.set(Number(entry), { parent: Number(/^PPid:\s+(\d+)/m.exec(status)?.[1] ?? 0), status });
  }
  const ours = (pid: number): boolean => pid === process.pid || (pid > 1 && ours(procs.get(pid)?.parent ?? 0));
  return [...procs].filter(([pid, p]) => /^Name:\s+chrom/m.test(p.status) && ours(pid)).map(([pid, p]) => ({ pid, ...p }));
}

async function chromiumRss(): Promise<number> {
  return (await ownChromium()).reduce((kib, p) => kib + Number(/VmRSS:\s+(\d+)/.exec(p.status)?.[1] ?? 0), 0) * 1024;
}

/**
 * CPU seconds of each of the bench's Chromium processes so far (an ended process's are lost: read
 * before the page closes). Read at the start and the end only: the bench's own sampling costs CPU
 * the chains share.
 */
async function chromiumCpu(): Promise<Map<number, number>> {
  const cpu = async (pid: number) => statCpuS(await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''));
  return new Map(await Promise.all((await ownChromium()).map(async (p) => [p.pid, await cpu(p.pid)] as const)));
}

/** CPU seconds the processes alive now took since `before` (a process started since counts whole). */
const cpuSince = (before: Map<number, number>, now: Map<number, number>) => [...now].reduce((s, [pid, t]) => s + t - (before.get(pid) ?? 0), 0);

const benchCpu = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

async function sampled(context: BrowserContext, page: Page, run: () => Promise<number>): Promise<PageRun> {
  // Over a slow link a form post takes minutes: no action may time out before the upload does.
  page.setDefaultTimeout(3_600_000);
  const cdp = await context.newCDPSession(page);
  let peak = 0;
  let rss = 0;
  // Independent samples: the CDP session ends when a form post navigates away, the processes do not.
  const sample = () => {
    void cdp.send('Runtime.getHeapUsage').then((h) => (peak = Math.max(peak, (h as { usedSize: number }).usedSize)), () => undefined);
    void chromiumRss().then((r) => (rss = Math.max(rss, r)));
  };
  const timer = setInterval(sample, 250);
  const [browserCpu, ownCpu] = [await chromiumCpu(), benchCpu()];
  try {
    const seconds = await run();
    const cpu = { browserCpuS: +cpuSince(browserCpu, await chromiumCpu()).toFixed(2), benchCpuS: +(benchCpu() - ownCpu).toFixed(2) };
    return { seconds, heapPeakMiB: +(peak / MiB).toFixed(1), browserRssPeakMiB: Math.round(rss / MiB), ...cpu };
  } finally {
    clearInterval(timer);
    await page.close();
  }
}

/** What is sent: a file, a typed message, or both. */
export type Sent = { file?: string; message?: string };
/** A send over a link: seconds from the click on Send to "Sent" (the codename panel's wait for the person left out), and the requests made after the click. */
export type LinkRun = PageRun & { requests: number };

async function fill(page: Page, sent: Sent, fileInput: string, messageInput: string): Promise<void> {
  if (sent.file) await page.setInputFiles(fileInput, sent.file);
  if (sent.message) await page.fill(messageInput, sent.message);
}

// Marks taken in the page itself (wall clock, Date.now()), at the event: Playwright's waitForSelector
// polls, up to half a second apart, which would add to a send of one round trip what it is not.
const PAGE_MARKS = `(() => {
  const marks = (window.sealdropMarks = {});
  const mark = (k) => { if (!(k in marks)) marks[k] = Date.now(); };
  const el = (id) => document.getElementById(id);
  el('send').addEventListener('click', () => mark('clicked'), true);
  el('codename-continue').addEventListener('click', () => mark('confirmed'), true);
  for (const [id, k] of [['codename-panel', 'shown'], ['done', 'done']]) {
    new MutationObserver(() => { if (!el(id).hidden) mark(k); }).observe(el(id), { attributes: true });
  }
})()`;

/**
 * A new source sends through the page. Timed from the click on Send to "Sent", less the time the
 * codename panel waited for the person (shown, until Continue is pressed; the codename's derivation
 * runs meanwhile, and Continue waits for it): what the source waits for once they have written the
 * codename down. `requests`: every request the page made after the click (each a round trip).
 */
export async function sealdropSend(context: BrowserContext, url: string, sent: Sent): Promise<LinkRun> {
  const page = await context.newPage();
  let requests = 0;
  const run = await sampled(context, page, async () => {
    await page.goto(url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await fill(page, sent, '#files', '#message');
    // The page's own loads (its codename code too) are over before the click.
    await page.waitForLoadState('networkidle');
    await page.evaluate(PAGE_MARKS);
    page.on('request', () => void requests++);
    await page.click('#send');
    await page.waitForSelector('#codename-panel:not([hidden])');
    await page.check('#codename-confirm');
    await page.click('#codename-continue:not([disabled])');
    await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 3_600_000 });
    if (await page.isVisible('#failed')) throw new Error(`the page failed: ${await page.textContent('#failed')}`);
    const m = (await page.evaluate('window.sealdropMarks')) as Record<'clicked' | 'shown' | 'confirmed' | 'done', number>;
    return (m.done - m.clicked - (m.confirmed - m.shown)) / 1000;
  });
  return { ...run, requests };
}

/** A new source sends `file` through the page (loopback figures: upload_local, memory_scaling). */
export const sealdropUpload = (context: BrowserContext, url: string, file: string): Promise<PageRun> => sealdropSend(context, url, { file });

/** The same bytes as a plain multipart form post to the bare server; `requests` as for sealdropSend. */
export async function bareSend(context: BrowserContext, url: string, sent: Sent): Promise<LinkRun> {
  const page = await context.newPage();
  let requests = 0;
  const run = await sampled(context, page, async () => {
    await page.goto(url);
    await fill(page, sent, '#file', '#message');
    page.on('request', () => void requests++);
    // As for the page: marks in the browser, the click's kept across the navigation the post makes.
    await page.evaluate("document.getElementById('go').addEventListener('click', () => sessionStorage.setItem('clicked', String(Date.now())), true)");
    await Promise.all([page.waitForURL('**/upload', { timeout: 3_600_000 }), page.click('#go')]);
    await page.waitForSelector('#done', { timeout: 3_600_000 });
    const [clicked, done] = (await page.evaluate("[Number(sessionStorage.getItem('clicked')), performance.timing.domContentLoadedEventEnd]")) as [number, number];
    return (done - clicked) / 1000;
  });
  return { ...run, requests };
}

/** The same file as a plain multipart form post to the bare server. */
export const bareUpload = (context: BrowserContext, url: string, file: string): Promise<PageRun> => bareSend(context, url, { file });
