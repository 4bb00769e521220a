import type { BrowserContext } from 'playwright-core';

/** Submits files and/or a message through the real source page with JavaScript on. */
export async function submitThroughPage(context: BrowserContext, url: string, files: string[], message = ''): Promise<void> {
  const page = await context.newPage();
  try {
    await page.goto(url);
    await page.waitForSelector('#path-js', { state: 'visible' });
    if (files.length) await page.setInputFiles('#files', files);
    if (message) await page.fill('#message', message);
    await page.click('#send');
    await page.waitForSelector('#done', { state: 'visible', timeout: 110_000 });
  } finally {
    await page.close();
  }
}
