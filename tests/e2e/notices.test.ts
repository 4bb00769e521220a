import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { noticeText } from '../../server/notify/notice.ts';
import { axeViolations } from '../helpers/axe.ts';
import { launchChromium } from '../helpers/browser.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { readMail, startHookReceiver, type HookReceiver } from '../helpers/notices.ts';
import { loginInPage, until } from '../helpers/pages.ts';
import { startSmtpSink, type SmtpSink } from '../helpers/smtp.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { submitThroughPage } from '../helpers/submit.ts';

// In a real browser: a journalist asks for notices on their account page, a source sends through
// the page with JavaScript, and the mail (a real SMTP server process) and the webhook (a real HTTP
// receiver) say that something came and where to log in, and nothing about what.
const W = 3000;
const FILE = 'Harbour-authority-ledger-2026-03-14.pdf';
const MESSAGE = 'Meet at the north gate, 7 pm. notices-canary-93';
let sink: SmtpSink;
let hook: HookReceiver;
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let work: string;

beforeAll(async () => {
  [sink, hook] = await Promise.all([startSmtpSink(), startHookReceiver()]);
  instance = await startInstance({ SEALDROP_SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SEALDROP_NOTIFY_FROM: 'drop@newsroom.example', SEALDROP_NOTIFY_WEBHOOK: hook.url }, { notices: { windowMs: W } });
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-notices-'));
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await Promise.all([sink?.stop(), hook?.stop(), rm(work, { recursive: true, force: true })]);
});

test('the account page saves the choice and says so; the notices that follow a send name nothing', async () => {
  const jo = await makeAccount(instance, 'jo');
  await makeAccount(instance, 'bo'); // not asking for notices
  const page = await browser.context.newPage();
  await loginInPage(page, instance.journalistUrl, 'jo', jo.passphrase, jo.code());
  await page.click('nav a[href="/account"]');
  await page.waitForSelector('h1:text-is("Your account")');
  expect(await page.isVisible('#mail-off')).toBe(false);
  // A refused value: the form comes back as typed, the reason beside the field, nothing saved.
  await page.fill('#notify-email', 'jo@newsroom.example');
  await page.fill('#lock-minutes', '0');
  await page.click('#account-save');
  await page.waitForSelector('#lock-minutes-error[role=alert]');
  expect(await page.textContent('#lock-minutes-error')).toContain('1 to 240');
  expect([await page.inputValue('#notify-email'), await page.inputValue('#lock-minutes')]).toEqual(['jo@newsroom.example', '0']);
  expect(await page.getAttribute('#lock-minutes', 'aria-describedby')).toBe('lock-minutes-error');
  expect(await axeViolations(page)).toEqual([]);
  expect(instance.store.journalists.get('jo')).toMatchObject({ notifyEmail: null, lockMinutes: 15 });
  await page.fill('#lock-minutes', '20');
  // A new address needs the login passphrase: without it, refused beside its field.
  await page.click('#account-save');
  await page.waitForSelector('#account-passphrase-error[role=alert]');
  expect(await page.getAttribute('#account-passphrase', 'aria-describedby')).toBe('account-passphrase-error');
  expect(await axeViolations(page)).toEqual([]);
  expect(instance.store.journalists.get('jo')).toMatchObject({ notifyEmail: null, lockMinutes: 15 });
  await page.fill('#account-passphrase', jo.passphrase);
  await page.click('#account-save');
  await page.waitForSelector('.notice[role=status]:text-is("Your settings were saved.")');
  expect(await page.inputValue('#notify-email')).toBe('jo@newsroom.example');
  expect(await page.getAttribute('#workspace', 'data-lock-minutes')).toBe('20');
  expect(await axeViolations(page)).toEqual([]);
  // At a phone's width (Tor Browser for Android): nothing wider than the screen.
  await page.setViewportSize({ width: 360, height: 740 });
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(360);
  expect(instance.store.journalists.get('jo')).toMatchObject({ notifyEmail: 'jo@newsroom.example', notifyEncrypt: false, lockMinutes: 20 });

  const file = path.join(work, FILE);
  await writeFile(file, 'The ledger shows the payments. notices-canary-93\n'.repeat(200));
  const codename = await submitThroughPage(browser.context, instance.sourceUrl, [file], MESSAGE);
  await until(async () => hook.posts.length >= 1 && (await sink.messages()).length >= 1, 3 * W, 'the notices');

  const mails = await sink.messages();
  // Only jo asked (the send may straddle two windows, so there may be a notice for each).
  expect(new Set(mails.flatMap((m) => m.to))).toEqual(new Set(['jo@newsroom.example']));
  const expected = noticeText(`${instance.journalistUrl}/`);
  const texts = [...hook.posts.map((p) => JSON.parse(p.body).text as string), ...mails.map((m) => readMail(m.data).body)];
  const rows = instance.rows() as { sources: { id: string; designation: string }[]; submissions: { id: string; size: number }[] };
  const identifying = [FILE, FILE.replace(/\.pdf$/, ''), 'Harbour', 'ledger', 'north gate', 'notices-canary-93', codename!, ...codename!.split(' '),
    ...rows.sources.flatMap((s) => [s.id, s.designation]), ...rows.submissions.flatMap((s) => [s.id, String(s.size)])];
  for (const text of texts) {
    expect(text).toBe(expected.text);
    for (const s of identifying) expect(text.toLowerCase(), s).not.toContain(s.toLowerCase());
  }
});
