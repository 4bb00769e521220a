import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { chromium, type Browser, type BrowserContext, type CDPSession, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { axeViolations, axeViolationsWithoutScripts, withoutScripts } from '../helpers/axe.ts';
import { CHROMIUM_FLAGS } from '../helpers/browser.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { languageCode } from '../../server/i18n/cookie.ts';
import { translator } from '../../server/i18n/index.ts';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import { generateKeyPair } from '../../common/envelope/index.ts';

// Every page and state a person can reach passes axe-core (WCAG 2.x A and AA rules, best practices)
// with zero violations, in every language: the source pages with their scripts and with scripting
// really off (Tor Browser's Safest level: <noscript> content and all), every state the page script
// shows, and the journalist pages from first-run setup to an inbox with decrypted items.
let instance: Instance;
let browser: Browser;
let gpg: GpgHome;
// One context each, so the language cookie of one (shared by both listeners' host) never leaks into another.
let safest: { context: BrowserContext; page: Page; cdp: CDPSession };
let scripted: { context: BrowserContext; page: Page };
let staff: { context: BrowserContext; page: Page };
const TAGS = LANGUAGES.map((l) => l.tag);
const PHONE = { width: 360, height: 740 };
let visits = 0;
let colleagueKeys: string[];
// The README's figure ("N page visits"): the last test checks this file made exactly these many.
const VISITS = 193;

beforeAll(async () => {
  [instance, gpg, colleagueKeys] = await Promise.all([startInstance(), makeGpgHome('desk', 'ed25519'), Promise.all(TAGS.map(async (tag) => (await generateKeyPair({ name: `colleague ${tag}` })).publicKey))]);
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  const open = async (viewport?: { width: number; height: number }) => {
    const context = await browser.newContext(viewport ? { viewport } : {});
    return { context, page: await context.newPage() };
  };
  const s = await open();
  safest = { ...s, cdp: await withoutScripts(s.page) };
  // Every journalist page is seen as on a phone (Tor Browser for Android): 360 px wide.
  [scripted, staff] = await Promise.all([open(), open(PHONE)]);
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await gpg?.cleanup();
});

const code = (tag: string) => languageCode(tag);
const lang = (page: Page) => page.evaluate(() => [document.documentElement.lang, document.documentElement.dir]);
const dirOf = (tag: string) => LANGUAGES.find((l) => l.tag === tag)!.dir;

/** axe on the page as it stands (scripts on); `what` names the state in a failure. A journalist page must also fit 360 px: no horizontal scrolling. */
async function audit(page: Page, what: string): Promise<void> {
  visits++;
  expect(await axeViolations(page, { reuse: true }), what).toEqual([]);
  if (page.context() === staff.context) {
    expect(page.viewportSize()?.width).toBe(PHONE.width);
    expect(await page.evaluate(() => document.scrollingElement!.scrollWidth), `${what} at ${PHONE.width} px`).toBeLessThanOrEqual(PHONE.width);
  }
}

/** axe on the Safest page as it stands; returns how many <noscript> blocks it held. */
async function auditSafest(what: string): Promise<number> {
  visits++;
  const { violations, noscripts } = await axeViolationsWithoutScripts(safest.page, safest.cdp);
  expect(violations, what).toEqual([]);
  return noscripts;
}

/** The switch: `?lang=` answered by a redirect to the address without it, in the language asked for. */
async function switchTo(page: Page, url: string, tag: string): Promise<void> {
  await page.goto(`${url}${url.includes('?') ? '&' : '?'}lang=${code(tag)}`);
  expect(page.url()).not.toContain('lang=');
  expect(await lang(page)).toEqual([tag, dirOf(tag)]);
}

/** Presses a button and waits for the page it posts to (with scripting off, as a person would). */
async function post(page: Page, button: string): Promise<void> {
  await Promise.all([page.waitForEvent('load'), page.click(button)]);
}

const sourceIds = () => (instance.rows().sources as { id: string }[]).map((s) => s.id);

// ---- Journalist first-run setup: before any journalist exists. ----
let desk: { secret: string; step: number };

describe('journalist setup (first run)', () => {
  test.each(TAGS)('setup page and its refusal in %s', async (tag) => {
    const { page } = staff;
    await switchTo(page, `${instance.journalistUrl}${instance.running.setupPath}`, tag);
    await audit(page, `${tag} setup`);
    // A refusal (passphrases that differ) shows the form again with the reason, in this language.
    await page.fill('#username', 'desk');
    // The page redraws the authenticator's QR code with the username typed (its label).
    expect(await page.textContent('#totp-uri')).toMatch(/^otpauth:\/\/totp\/Sealdrop:desk\?/);
    await page.fill('#passphrase', 'orchard lantern basalt quiver 42');
    await page.fill('#passphrase2', 'orchard lantern basalt quiver 43');
    await page.fill('#code', '000000');
    await page.fill('#public_key', await readFile(gpg.publicKeyFile, 'utf8'));
    await post(page, 'button[type=submit]');
    expect(await page.isVisible('p.warning[role=alert]')).toBe(true);
    expect(await lang(page)).toEqual([tag, dirOf(tag)]);
    await audit(page, `${tag} setup refused`);
  });
  test('the account is made: its notice', async () => {
    const { page } = staff;
    const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, ''); // shown in groups of four
    // A code one step old is accepted only until the 30 s window turns: start with at least 8 s of it
    // left, or the window may turn while the form is filled and posted (the account is then refused).
    const left = 30_000 - (Date.now() % 30_000);
    if (left < 8_000) await new Promise((r) => setTimeout(r, left + 100));
    const step = currentStep() - 1; // one step of drift is allowed; the login below uses a later step
    await page.fill('#username', 'desk');
    await page.fill('#passphrase', 'orchard lantern basalt quiver 42');
    await page.fill('#passphrase2', 'orchard lantern basalt quiver 42');
    await page.fill('#code', totpCode(secret, step));
    await page.fill('#public_key', await readFile(gpg.publicKeyFile, 'utf8'));
    await post(page, 'button[type=submit]');
    expect(instance.running.setupPath).toBeNull();
    desk = { secret, step };
    await audit(page, 'account created');
  });
});

// ---- Sources without JavaScript (scripting off): every page, a send, the codename page. ----
const SOURCE_PAGES = ['/', '/login', '/sent', '/guide', '/no-such-page'];
const SCRIPTED_PAGES = ['/', '/login'];
const safestCodenames: string[] = [];
const safestSources: string[] = [];
const NOSCRIPTS: Record<string, number> = { '/': 2, '/login': 3 };

describe.each(TAGS)('source pages in %s, scripting off', (tag) => {
  test('every page, a refusal, a send and its codename page, a wrong codename', async () => {
    const { page } = safest;
    for (const path of SOURCE_PAGES) {
      await switchTo(page, `${instance.sourceUrl}${path}`, tag);
      // The Safest page's own content is audited: on /, the no-JS path note and its send button; on
      // /login, its button, its note and the send button of the form it holds for later.
      expect(await auditSafest(`${tag} ${path}`), path).toBe(NOSCRIPTS[path] ?? 0);
      expect(await page.locator('script[src]').count(), path).toBe(SCRIPTED_PAGES.includes(path) ? 1 : 0);
    }
    await page.goto(`${instance.sourceUrl}/`);
    expect(await page.isVisible('#send-plain')).toBe(true);
    expect(await page.isHidden('#send')).toBe(true); // nojs.css in force
    expect(await page.isHidden('#path-js')).toBe(true); // the page script never ran
    await post(page, '#send-plain'); // nothing chosen: a refusal page
    expect(await lang(page)).toEqual([tag, dirOf(tag)]);
    await auditSafest(`${tag} refusal`);
    // A new source each time (the session from the last send would make this one a returning source's).
    await safest.context.clearCookies({ name: /source/ });
    await page.goto(`${instance.sourceUrl}/`);
    await page.fill('#message', `A message sent without JavaScript, ${tag}.`);
    await post(page, '#send-plain');
    const codename = (await page.textContent('#codename'))!.trim();
    expect(codename.split(' ')).toHaveLength(7);
    safestCodenames.push(codename);
    safestSources.push(sourceIds().at(-1)!);
    await auditSafest(`${tag} codename page`);
    // Not a codename: the login page again, with the reason.
    await page.goto(`${instance.sourceUrl}/login`);
    await page.fill('#codename-input', 'not a codename');
    await post(page, '#codename-plain');
    expect(await page.isVisible('p.warning[role=alert]')).toBe(true);
    await auditSafest(`${tag} login refused`);
  });
});

// ---- Sources with JavaScript: every page, and each state the page script shows. ----
const scriptedCodenames: string[] = [];
const scriptedSources: string[] = [];

describe.each(TAGS)('source pages in %s, with JavaScript', (tag) => {
  test('both pages with a script; codename panel, progress, failed, sent; a wrong codename', async () => {
    const { page } = scripted;
    // /sent, /guide and the error pages carry no script and no <noscript>: their audit above is of the same page.
    for (const path of SCRIPTED_PAGES) {
      await switchTo(page, `${instance.sourceUrl}${path}`, tag);
      if (path === '/') await page.waitForSelector('#path-js', { state: 'visible' });
      await audit(page, `${tag} ${path}`);
    }
    await page.goto(`${instance.sourceUrl}/`);
    await page.waitForSelector('#path-js', { state: 'visible' });
    await page.click('#send'); // nothing chosen: said at once
    await page.waitForSelector('#failed', { state: 'visible' });
    await audit(page, `${tag} nothing chosen`);
    await page.fill('#message', `A message sent with JavaScript, ${tag}.`);
    if (tag === 'en') await page.setInputFiles('#files', { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('An attachment for the inbox.') });
    // The upload's requests are held, so the progress state stays on screen; then refused; then let through.
    const held: Route[] = [];
    let mode: 'hold' | 'refuse' | 'pass' = 'hold';
    const refuse = (route: Route) => route.fulfill({ status: 400, contentType: 'application/json', body: '{}' });
    const UPLOAD = /\/api\/(sends\/\d|submissions\/[^/]+\/)/; // a folded send (e9c8b8e), or the older item routes
    await page.route(UPLOAD, (route) => (mode === 'hold' ? void held.push(route) : mode === 'refuse' ? refuse(route) : route.continue()));
    await page.click('#send');
    await page.waitForSelector('#codename-panel', { state: 'visible' });
    await audit(page, `${tag} codename panel`);
    const codename = (await page.textContent('#codename'))!.trim();
    await page.check('#codename-confirm');
    await page.click('#codename-continue');
    await page.waitForSelector('#progress .item progress');
    await expect.poll(() => held.length, { timeout: 30_000 }).toBeGreaterThan(0);
    await audit(page, `${tag} progress`);
    // A refusal the page does not retry: the item fails, and the page says so (in this language).
    mode = 'refuse';
    for (const route of held) await refuse(route);
    await page.waitForSelector('#failed', { state: 'visible' });
    expect(await page.textContent('#failed')).toBe(translator(tag).text('client.someFailed'));
    await audit(page, `${tag} failed`);
    mode = 'pass';
    await page.click('#send'); // Send again: the same source, no new codename
    await page.waitForSelector('#done', { state: 'visible', timeout: 60_000 });
    await page.unroute(UPLOAD);
    scriptedCodenames.push(codename);
    scriptedSources.push(sourceIds().at(-1)!);
    await audit(page, `${tag} sent`);
    await page.goto(`${instance.sourceUrl}/login`);
    await page.waitForSelector('#login-js', { state: 'visible' });
    const note = await page.textContent('#login-js');
    await page.fill('#codename-input', 'not a codename');
    await page.click('#codename-submit');
    await expect.poll(() => page.textContent('#login-js'), { timeout: 30_000 }).not.toBe(note);
    await audit(page, `${tag} login refused`);
  });
});

// ---- The journalist: login refused, the inbox with decrypted items, replies, confirmations, notices. ----

async function unlockKey(page: Page, tag: string): Promise<void> {
  await page.setInputFiles('#key-file', gpg.secretKeyFile);
  await page.fill('#key-passphrase', gpg.passphrase);
  await page.click('#load-key');
  await expect.poll(() => page.textContent('#key-status'), { timeout: 30_000 }).toBe(translator(tag).text('staff.script.unlocked'));
}

describe('journalist pages', () => {
  test.each(TAGS)('login refused in %s', async (tag) => {
    const { page } = staff;
    await switchTo(page, `${instance.journalistUrl}/login`, tag);
    await audit(page, `${tag} login`);
    await page.fill('#username', 'nobody');
    await page.fill('#passphrase', 'not the passphrase at all');
    await page.fill('#code', '000000');
    await post(page, 'button[type=submit]');
    expect(await page.isVisible('p.warning[role=alert]')).toBe(true);
    await audit(page, `${tag} login refused`);
  });

  test('log in; reply to both first sources (a reply for each no-JS conversation page)', async () => {
    const { page } = staff;
    await switchTo(page, `${instance.journalistUrl}/login`, 'en');
    await page.fill('#username', 'desk');
    await page.fill('#passphrase', 'orchard lantern basalt quiver 42');
    await page.fill('#code', totpCode(desk.secret, Math.max(currentStep(), desk.step + 1)));
    await post(page, 'button[type=submit]');
    expect(await page.textContent('h1')).toBe('Inbox');
    const [safestSource, scriptedSource] = [safestSources[0]!, scriptedSources[0]!];
    // Four replies to the first no-JS source (each language's conversation page deletes one), one to the first JS source.
    for (const [id, n] of [[safestSource, 4], [scriptedSource, 1]] as const) {
      await page.goto(`${instance.journalistUrl}/conversations/${id}`);
      for (let i = 1; i <= n; i++) {
        const before = await page.locator('ol.thread .reply-row').count();
        await page.fill(`#reply-${id}`, `Reply ${i} from the desk: thank you.`);
        await page.click('button.send-reply');
        await expect.poll(() => page.locator('ol.thread .reply-row').count(), { timeout: 30_000 }).toBe(before + 1);
      }
    }
  });

  test.each(TAGS)('inbox with decrypted items, admin, confirmations and notices in %s', async (tag) => {
    const { page } = staff;
    const t = translator(tag);
    await switchTo(page, `${instance.journalistUrl}/`, tag);
    expect(await page.textContent('h1')).toBe(t.text('staff.inbox.title'));
    await unlockKey(page, tag);
    // The conversation with a message, an attachment and a reply, opened with the key unlocked:
    // the message opens by itself; the attachment and the reply are decrypted on request.
    await page.click(`li.conversation[data-source="${scriptedSources[0]}"] a.designation`);
    await page.waitForSelector('li.submission.is-message pre.message', { timeout: 60_000 });
    await page.click('li.submission:not(.is-message) button.open');
    await page.waitForSelector('a[download="notes.txt"]');
    await page.locator('button.open-reply').first().click();
    await page.waitForSelector('.reply-row pre.message');
    await audit(page, `${tag} conversation, decrypted`);
    await page.goto(`${instance.journalistUrl}/admin`);
    expect(await page.textContent('h1')).toBe(t.text('staff.admin.title'));
    await audit(page, `${tag} admin`);
    // Every other admin section, a notice after a save, and the question before a journalist is removed.
    for (const section of ['retention', 'branding', 'notifications', 'address', 'changes']) {
      await page.goto(`${instance.journalistUrl}/admin/${section}`);
      await audit(page, `${tag} admin ${section}`);
    }
    // Desks (issue 23): one with its texts and member form, the question before it goes, and who can read what.
    const deskId = instance.store.desks.create(`desk-${code(tag)}`, { en: { name: 'Tips', description: 'Anything' } }, 'cli').id;
    await page.goto(`${instance.journalistUrl}/admin/desks`);
    await audit(page, `${tag} admin desks`);
    await page.goto(`${instance.journalistUrl}/admin/desks/${deskId}/delete`);
    await audit(page, `${tag} confirm deleting a desk`);
    await page.click('#confirm');
    await page.waitForSelector('p.notice');
    await page.goto(`${instance.journalistUrl}/access`);
    await audit(page, `${tag} who can read what`);
    await page.goto(`${instance.journalistUrl}/admin/retention`);
    await page.click('form[action="/admin/retention"] button[type=submit]');
    await page.waitForSelector('p.notice');
    await audit(page, `${tag} admin notice`);
    const leaving = `leaving-${code(tag)}`;
    await instance.addJournalist(leaving, (await generateKeyPair({ name: leaving })).publicKey);
    await page.goto(`${instance.journalistUrl}/admin/journalists/${instance.store.journalists.get(leaving).id}/remove`);
    expect(await page.isVisible('#confirm.danger')).toBe(true);
    await audit(page, `${tag} confirm removing a journalist`);
    await page.click('#confirm');
    await page.waitForSelector('p.notice');
    expect(instance.store.journalists.list().map((j) => j.username)).not.toContain(leaving);
    const source = safestSources[0]!;
    const submission = (instance.rows().submissions as { id: string }[])[0]!.id;
    for (const path of [`/sources/${source}/delete`, `/submissions/${submission}/delete`]) {
      await page.goto(`${instance.journalistUrl}${path}`);
      expect(await page.isVisible('#confirm')).toBe(true);
      await audit(page, `${tag} confirm ${path}`);
    }
    // A new colleague: the enrolment link's notice, their enrolment page, its refusal, and the notice that they are ready.
    await page.goto(`${instance.journalistUrl}/admin`);
    await page.fill('#new-username', `colleague-${code(tag)}`);
    await page.fill('#new-key', colleagueKeys[TAGS.indexOf(tag)]!);
    await page.click('form[action="/admin/journalists"] button[type=submit]'); // the workspace swaps in the notice, no page load
    await page.waitForSelector('#notice-code');
    const link = (await page.textContent('#notice-code'))!.trim();
    await audit(page, `${tag} enrolment link notice`);
    const colleague = await staff.context.newPage();
    try {
      await colleague.goto(link);
      await audit(colleague, `${tag} enrolment`);
      const secret = (await colleague.textContent('#totp-secret'))!.replace(/\s/g, '');
      await colleague.fill('#passphrase', 'meadow copper window sail 77');
      await colleague.fill('#passphrase2', 'meadow copper window sail 78');
      await colleague.fill('#code', totpCode(secret, currentStep()));
      await post(colleague, 'button[type=submit]');
      expect(await colleague.isVisible('p.warning[role=alert]')).toBe(true);
      await audit(colleague, `${tag} enrolment refused`);
      await colleague.fill('#passphrase', 'meadow copper window sail 77');
      await colleague.fill('#passphrase2', 'meadow copper window sail 77');
      await colleague.fill('#code', totpCode(secret, currentStep()));
      await post(colleague, 'button[type=submit]');
      expect(await colleague.textContent('h1')).toBe(t.text('staff.notice.readyTitle'));
      await audit(colleague, `${tag} ready notice`);
    } finally {
      await colleague.close();
    }
  });

  // The workspace (issue 22): the list with its rows, a conversation reached through the shell (no
  // reload), the account page, the notice after a save and the key bar locked again; 360 px wide.
  test.each(TAGS)('the workspace in %s: list, conversation, account, notice, key locked', async (tag) => {
    const { page } = staff;
    await switchTo(page, `${instance.journalistUrl}/`, tag);
    await unlockKey(page, tag);
    expect(await page.locator('#workspace li.conversation').count()).toBeGreaterThan(1);
    await audit(page, `${tag} list, key unlocked`);
    await page.click(`li.conversation[data-source="${safestSources[0]}"] a.designation`);
    await page.waitForSelector('ol.thread .reply-row');
    await page.waitForSelector('li.submission.is-message pre.message', { timeout: 60_000 });
    await audit(page, `${tag} conversation with replies, through the shell`);
    await page.click('nav.staff-nav a[href="/account"]');
    await page.waitForSelector('#account-form');
    await audit(page, `${tag} account`);
    await page.click('#account-save');
    await page.waitForSelector('#notice-area p.notice');
    expect(await page.textContent('#notice-area p.notice')).toBe(translator(tag).text('staff.account.saved'));
    await audit(page, `${tag} account saved notice`);
    await page.click('#lock-key');
    expect(await page.textContent('#key-status')).toBe(translator(tag).text('staff.script.locked'));
    await audit(page, `${tag} key locked`);
  });

  // What a journalist meets when an address is wrong: a list filter that does not exist, and a
  // conversation that does not (deleted, or mistyped); each says so, in the language, at 360 px.
  test.each(TAGS)('refusals in %s: an unknown list filter, an unknown conversation', async (tag) => {
    const { page } = staff;
    const t = translator(tag);
    await switchTo(page, `${instance.journalistUrl}/`, tag);
    expect((await page.goto(`${instance.journalistUrl}/?filter=bogus`))?.status()).toBe(400);
    expect(await page.textContent('body')).toContain(t.text('staff.error.listFilter'));
    await audit(page, `${tag} unknown list filter`);
    expect((await page.goto(`${instance.journalistUrl}/conversations/${randomBytes(16).toString('hex')}`))?.status()).toBe(404);
    expect(await page.textContent('body')).toContain(t.text('staff.conv.gone'));
    await audit(page, `${tag} unknown conversation`);
  });
});

// ---- Back to the sources: their conversations, with the journalist's replies in them. ----
describe.each(TAGS)('conversations in %s', (tag) => {
  test('no JavaScript: the conversation after a codename login, and a deleted reply', async () => {
    const { page } = safest;
    await switchTo(page, `${instance.sourceUrl}/login`, tag);
    await page.fill('#codename-input', safestCodenames[0]!);
    await post(page, '#codename-plain');
    expect(await page.locator('li.reply pre.message').count()).toBeGreaterThan(0);
    await auditSafest(`${tag} conversation`);
    await post(page, 'li.reply button[type=submit]');
    expect(await page.textContent('h1')).toBe(translator(tag).text('replies.deleted.title'));
    await auditSafest(`${tag} reply deleted`);
  });
  test('with JavaScript: the conversation after a codename login', async () => {
    const { page } = scripted;
    await switchTo(page, `${instance.sourceUrl}/login`, tag);
    await page.waitForSelector('#login-js', { state: 'visible' });
    await page.fill('#codename-input', scriptedCodenames[0]!);
    await page.click('#codename-submit');
    await page.waitForSelector('#conversation', { state: 'visible', timeout: 30_000 });
    expect(await page.textContent('#replies')).toContain('Reply 1 from the desk');
    await audit(page, `${tag} conversation`);
  });
});

test('the README\'s figure: page visits audited', () => {
  expect(visits).toBe(VISITS);
});
