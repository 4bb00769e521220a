// Drives Chromium through one upload: the Sealdrop source page (encrypting in the page) or the
// bare server's plain form, timing the upload itself and sampling the page's JS heap.
import { readdir, readFile } from 'node:fs/promises';
import type { BrowserContext, Page } from 'playwright-core';

/** Seconds, the peak JS heap, and the peak resident memory of every Chromium process (buffers live outside the JS heap). */
export type PageRun = { seconds: number; heapPeakMiB: number; browserRssPeakMiB: number };

const MiB = 1024 * 1024;

/** Resident memory of all Chromium processes (the bench runs one browser at a time). */
async function chromiumRss(): Promise<number> {
  let kib = 0;
  for (const pid of await readdir('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
    if (/^Name:\s+chrom/m.test(status)) kib += Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  }
  return kib * 1024;
}

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
  try {
    const seconds = await run();
    return { seconds, heapPeakMiB: +(peak / MiB).toFixed(1), browserRssPeakMiB: Math.round(rss / MiB) };
  } finally {
    clearInterval(timer);
    await page.close();
  }
}

/**
 * A new source sends `file` through the page. Timed from the moment the first submission is opened
 * (after the one-time codename and registration) to "Sent": the same span as a form post.
 */
export async function sealdropUpload(context: BrowserContext, url: string, file: string): Promise<PageRun> {
  const page = await context.newPage();
  return sampled(context, page, async () => {
    await page.goto(url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await page.setInputFiles('#files', file);
    let started = 0;
    page.on('request', (r) => {
      if (!started && r.method() === 'POST' && r.url().endsWith('/api/submissions')) started = performance.now();
    });
    await page.click('#send');
    await page.waitForSelector('#codename-panel:not([hidden])');
    await page.check('#codename-confirm');
    await page.click('#codename-continue');
    await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 3_600_000 });
    if (await page.isVisible('#failed')) throw new Error(`the page failed: ${await page.textContent('#failed')}`);
    return (performance.now() - started) / 1000;
  });
}

/** The same file as a plain multipart form post to the bare server. */
export async function bareUpload(context: BrowserContext, url: string, file: string): Promise<PageRun> {
  const page = await context.newPage();
  return sampled(context, page, async () => {
    await page.goto(url);
    await page.setInputFiles('#file', file);
    const started = performance.now();
    await Promise.all([page.waitForURL('**/upload', { timeout: 3_600_000 }), page.click('#go')]);
    await page.waitForSelector('#done', { timeout: 3_600_000 });
    return (performance.now() - started) / 1000;
  });
}
