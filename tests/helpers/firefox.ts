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

/** Debian's Firefox ESR over WebDriver BiDi; the caller must close it (puppeteer starts it detached). */
export async function launchFirefox(level: SecurityLevel, prefs: Record<string, string | number | boolean> = {}): Promise<Browser> {
  return puppeteer.launch({
    browser: 'firefox',
    executablePath: '/usr/bin/firefox-esr',
    headless: true,
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
