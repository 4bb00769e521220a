/** Polls until `check` holds; for browsers where waitForSelector is unsafe (Firefox with JS off). */
export async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Only network requests count: data: and blob: URLs never leave the machine. */
export function foreignRequests(urls: string[], origin: string): string[] {
  return urls.filter((u) => /^(https?|wss?|ftp):/i.test(u) && !u.startsWith(`${origin}/`));
}

/** Logs a journalist in through the real login page, as a person would, and waits for the inbox. */
export async function loginInPage(page: import('playwright-core').Page, journalistUrl: string, username: string, passphrase: string, code: string): Promise<void> {
  await page.goto(`${journalistUrl}/login`);
  await page.fill('#username', username);
  await page.fill('#passphrase', passphrase);
  await page.fill('#code', code);
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text-is("Inbox")');
}

/**
 * The start page's sentence for the Safest level as the browser rendered it: the <noscript>
 * paragraph is an element only while scripting is off (with it on, its content is plain text), so
 * null means the page ran with JavaScript. Compare it with the catalog's `source.path.nojs`.
 */
export function safestSentence(page: import('puppeteer-core').Page): Promise<string | null> {
  return page.evaluate(() => document.querySelector('noscript .path')?.textContent ?? null);
}
