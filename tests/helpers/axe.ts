import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { CDPSession, Page } from 'playwright-core';

const AXE = await readFile(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's verdict (WCAG 2.0–2.2 A/AA and best practices) on the page as it stands, run through the debugging protocol: the page's CSP allows no injected script. Only violations are gathered in full (resultTypes): the passes are not needed, and skipping their detail saves time. */
export async function axeViolations(page: Page, options: { reuse?: boolean } = {}): Promise<string[]> {
  // reuse: a page already holding axe from an earlier audit of the same document (a state the page
  // script drew without loading a new one) keeps it, instead of parsing its 0.5 MB again.
  if (!options.reuse || !(await page.evaluate(() => typeof (window as { axe?: { run?: unknown } }).axe?.run === 'function'))) await page.evaluate(AXE);
  const result = (await page.evaluate(() => (window as unknown as { axe: { run(o: object): Promise<unknown> } }).axe.run({ runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'] }, resultTypes: ['violations'] }))) as {
    violations: { id: string; impact: string; nodes: { target: string[] }[] }[];
  };
  return result.violations.map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`);
}

/**
 * A page whose scripts are really off, as Tor Browser's Safest level has them: not blocked files
 * but no scripting at all, so the HTML parser reads each <noscript>'s content as elements.
 * Returns the debugging-protocol session that turns scripting back on for axe alone.
 */
export async function withoutScripts(page: Page): Promise<CDPSession> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  return cdp;
}

/**
 * axe-core's verdict on a page loaded with scripting off (withoutScripts). axe needs timers, which
 * do not run while scripting is off, and once scripting is on again Chromium hides every
 * <noscript> (display: none): so each <noscript> in the body is first replaced by the elements it
 * was parsed into, which is how the page stands for a reader at the Safest level. The head's
 * <noscript> stays (its stylesheet applies either way). The page's own scripts never run: the
 * parser skipped them and nothing inserts them again. `noscripts` counts the blocks unwrapped;
 * it throws if one holds only text, i.e. the page was in fact parsed with scripting on.
 */
export async function axeViolationsWithoutScripts(page: Page, cdp: CDPSession): Promise<{ violations: string[]; noscripts: number }> {
  const noscripts = await page.evaluate(() => {
    const blocks = [...document.body.querySelectorAll('noscript')];
    if (blocks.some((n) => n.childElementCount === 0 && (n.textContent ?? '').trim() !== '')) throw new Error('a <noscript> holds text: this page was parsed with scripting on');
    for (const n of blocks) n.replaceWith(...n.childNodes);
    return blocks.length;
  });
  await cdp.send('Emulation.setScriptExecutionDisabled', { value: false });
  try {
    return { violations: await axeViolations(page), noscripts };
  } finally {
    await cdp.send('Emulation.setScriptExecutionDisabled', { value: true });
  }
}
