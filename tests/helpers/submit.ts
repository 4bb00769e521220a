import type { BrowserContext, Page } from 'playwright-core';

/**
 * Presses Send; a first-time source is shown a codename and must confirm it before anything is
 * sent. Returns the codename, or null for a source already logged in.
 */
export async function sendAndConfirm(page: Page): Promise<string | null> {
  await page.click('#send');
  await page.waitForSelector('#codename-panel:not([hidden]), #done:not([hidden]), #failed:not([hidden]), #progress .item', { timeout: 60_000 });
  if (!(await page.isVisible('#codename-panel'))) return null;
  const codename = (await page.textContent('#codename'))!.trim();
  await page.check('#codename-confirm');
  await page.click('#codename-continue');
  return codename;
}

/** Submits files and/or a message through the real source page with JavaScript on. */
export async function submitThroughPage(context: BrowserContext, url: string, files: string[], message = ''): Promise<string | null> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    if (files.length) await page.setInputFiles('#files', files);
    if (message) await page.fill('#message', message);
    const codename = await sendAndConfirm(page);
    await page.waitForSelector('#done', { state: 'visible', timeout: 110_000 });
    return codename;
  } finally {
    await page.close();
  }
}
