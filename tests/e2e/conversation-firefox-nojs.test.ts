import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { until } from '../helpers/pages.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// The same conversation with JavaScript off (Tor Browser "Safest", Firefox ESR): the server makes
// the codename and, at login, decrypts replies in memory for one page.
let instance: Instance;
let browser: Browser;
const REPLY = 'Could you send the second page too? nojs-reply-canary-91c2';

beforeAll(async () => {
  instance = await startInstance();
  browser = await launchFirefox('safest');
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
});

/** Types into a field and presses Enter on a button: page.click hangs with JavaScript off. */
async function typeAndSubmit(page: Page, field: string, text: string, button: string): Promise<void> {
  await page.focus(field);
  await page.keyboard.type(text);
  await page.focus(button);
  await page.keyboard.press('Enter');
}

test('no-JS source: server-made codename → reply → login decrypts it → follow-up → delete the reply', async () => {
  const desk = await makeAccount(instance, 'desk');
  const page = await browser.newPage();

  await page.goto(`${instance.sourceUrl}/`);
  await typeAndSubmit(page, '#message', 'Documents about the port tender.', '#send-plain');
  await until(async () => page.url().endsWith('/submit') && (await page.content()).includes('only way back'), 60_000, 'the codename page');
  const html = await page.content();
  const codename = /id="codename"[^>]*>([a-z -]+)</.exec(html)?.[1];
  if (!codename) throw new Error(html.slice(html.indexOf('codename') - 200, html.indexOf('codename') + 300));
  expect(codename.split(' ')).toHaveLength(7);
  // The same codename in digits is on the page too; the second login below uses it.
  const digits = /id="codename-digits"[^>]*>([1-6 ]+)</.exec(html)?.[1];
  expect(digits).toMatch(/^[1-6]{5}( [1-6]{5}){6}$/);
  expect(await page.content()).toContain('the server made this codename and keeps only a fingerprint of it');

  // A journalist replies (through the real route, encrypted to the source and every journalist).
  const [source] = instance.rows().sources as { id: string; public_key: string }[];
  const staff = new StaffClient(instance.journalistUrl);
  await staff.login('desk', desk.passphrase, desk.code());
  await staff.get('/');
  const keys = await Promise.all([source!.public_key, desk.publicKey].map(async (k) => (await readJournalistKey(k)).key));
  const reply = await sealText({ kind: 'reply', text: REPLY, recipients: keys });
  const sent = await fetch(`${instance.journalistUrl}/sources/${source!.id}/replies`, {
    method: 'POST', headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' }, body: reply as BodyInit,
  });
  expect(sent.status).toBe(201);

  // The source logs back in without JavaScript: the page shows the reply, decrypted by the server.
  await page.goto(`${instance.sourceUrl}/login`);
  expect(await page.content()).toContain('JavaScript is off: the server will use your codename');
  await typeAndSubmit(page, '#codename-input', codename, '#codename-plain');
  await until(async () => (await page.content()).includes('Your conversation'), 60_000, 'the conversation page');
  expect(await page.content()).toContain(REPLY);

  await typeAndSubmit(page, '#message', 'Second page attached.', '#send-plain');
  await until(() => page.url().endsWith('/sent'), 60_000, 'the confirmation page');
  const submissions = instance.rows().submissions as { source_id: string; state: string }[];
  expect(submissions.filter((s) => s.state === 'complete').map((s) => s.source_id)).toEqual([source!.id, source!.id]);
  expect((instance.rows().replies as { read: number }[])[0]!.read).toBe(1);

  // Reading it again (logged in with the digits this time) shows a delete button; deleting removes the reply.
  await page.goto(`${instance.sourceUrl}/login`);
  await typeAndSubmit(page, '#codename-input', digits!, '#codename-plain');
  // (The reply's own list item: the login page's strings block holds the words "Delete this reply" too.)
  await until(async () => (await page.content()).includes('<li class="reply">'), 60_000, 'the conversation page');
  await page.focus('#replies form button');
  await page.keyboard.press('Enter');
  await until(async () => (await page.content()).includes('Reply deleted'), 30_000, 'the deletion');
  expect(instance.rows().replies).toEqual([]);

  expect(await findBytes([instance.config.dataDir], [codename, REPLY, 'nojs-reply-canary-91c2'])).toEqual([]);
});
