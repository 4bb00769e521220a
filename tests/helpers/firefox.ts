import puppeteer, { type Browser } from 'puppeteer-core';

// Tor Browser's three security levels, as Firefox ESR preferences.
export const SECURITY_LEVELS = {
  standard: {},
  safer: {
    'javascript.options.baselinejit': false,
    'javascript.options.ion': false,
    'javascript.options.wasm': false,
    'privacy.resistFingerprinting': true,
  },
  safest: { 'javascript.enabled': false },
} as const;
export type SecurityLevel = keyof typeof SECURITY_LEVELS;

/**
 * Debian's Firefox ESR over WebDriver BiDi; the caller must close it (puppeteer starts it detached).
 * `systemAccess` lets the test run privileged code in the browser's own window: minimizeMemory only.
 */
export async function launchFirefox(level: SecurityLevel, prefs: Record<string, string | number | boolean> = {}, options: { systemAccess?: boolean } = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
    ...(options.systemAccess ? { args: ['--remote-allow-system-access'] } : {}),
    extraPrefsFirefox: {
      ...SECURITY_LEVELS[level],
      // No phoning home from the test browser: this machine has no network, and Tor Browser does not either.
      'app.update.enabled': false,
      'browser.safebrowsing.malware.enabled': false,
      'browser.safebrowsing.phishing.enabled': false,
      'network.captive-portal-service.enabled': false,
      'network.connectivity-service.enabled': false,
      ...prefs,
    },
  });
}

type BidiConnection = { send(method: string, params: object): Promise<{ result: { contexts?: { context: string }[]; type?: string } }> };

/**
 * about:memory's "Minimize memory usage" in every Firefox process (garbage and cycle collection,
 * caches dropped, the allocator's free pages returned), so that what stays resident is what pages
 * still hold. Content processes do it on their own time: the caller waits for their RSS to settle.
 * Needs a browser launched with `systemAccess`.
 */
export async function minimizeMemory(browser: Browser): Promise<void> {
  const bidi = (browser as unknown as { connection: BidiConnection }).connection;
  const [window] = (await bidi.send('browsingContext.getTree', { 'moz:scope': 'chrome' })).result.contexts ?? [];
  const expression = `new Promise((done) => {
    Services.obs.notifyObservers(null, 'child-mmu-request');
    Cc['@mozilla.org/memory-reporter-manager;1'].getService(Ci.nsIMemoryReporterManager).minimizeMemoryUsage(() => done(true));
  })`;
  const answer = await bidi.send('script.evaluate', { expression, target: { context: window!.context }, awaitPromise: true });
  if (answer.result.type !== 'success') throw new Error('Firefox did not minimize its memory');
}

/** The id of the content process that shows the one tab at `url` (other content processes come and go). Needs `systemAccess`. */
export async function contentProcessOf(browser: Browser, url: string): Promise<number> {
  const bidi = (browser as unknown as { connection: BidiConnection }).connection;
  const [window] = (await bidi.send('browsingContext.getTree', { 'moz:scope': 'chrome' })).result.contexts ?? [];
  const expression = `JSON.stringify([...gBrowser.browsers].filter((b) => b.currentURI.spec.startsWith(${JSON.stringify(url)})).map((b) => b.browsingContext.currentWindowGlobal.osPid))`;
  const answer = (await bidi.send('script.evaluate', { expression, target: { context: window!.context }, awaitPromise: false })) as unknown as { result: { result?: { value?: string } } };
  const pids = JSON.parse(answer.result.result?.value ?? '[]') as number[];
  if (pids.length !== 1) throw new Error(`expected one tab at ${url}, found ${pids.length}`);
  return pids[0]!;
}
