import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeAccount } from '../helpers/staff-client.ts';
import { sendAndConfirm } from '../helpers/submit.ts';
import { loginInPage } from '../helpers/pages.ts';
import { unlockKey } from '../helpers/conversation.ts';

// Two-way conversation in Chromium: a codename made on the device, a reply encrypted in the
// journalist's browser, the source back with the codename, and a follow-up in the same conversation.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let gpg: GpgHome;
let stranger: GpgHome;
let work: string;
const REPLY = 'Thank you. Can you tell us who signed the second contract? reply-canary-7f3a';

beforeAll(async () => {
  [instance, gpg, stranger] = await Promise.all([startInstance(), makeGpgHome('desk'), makeGpgHome('stranger')]);
  browser = await launchChromium();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-conv-'));
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await Promise.all([gpg?.cleanup(), stranger?.cleanup(), rm(work, { recursive: true, force: true })]);
});

test('source → codename → journalist reply → source reads it with the codename and follows up', async () => {
  const desk = await makeAccount(instance, 'desk', { publicKey: await readFile(gpg.publicKeyFile, 'utf8') });

  // 1. A new source sends a message and is given a codename, made on the device.
  const source = await browser.context.newPage();
  await source.goto(instance.sourceUrl);
  await source.waitForSelector('#path-js', { state: 'visible' });
  await source.fill('#message', 'I have the contracts from the ministry.');
  const codename = (await sendAndConfirm(source))!;
  await source.waitForSelector('#done', { state: 'visible' });
  expect(codename.split(' ')).toHaveLength(7);

  // 2. The journalist logs in, unlocks the key, opens the conversation and replies from the browser.
  const staff = await browser.context.newPage();
  await loginInPage(staff, instance.journalistUrl, 'desk', desk.passphrase, desk.code());
  // The key is unlocked first: opening the conversation and replying must not reload the page and forget it.
  await unlockKey(staff, gpg.secretKeyFile, gpg.passphrase);
  await staff.click('li.conversation a.designation');
  await staff.waitForSelector('ol.thread');
  await staff.evaluate(() => ((window as unknown as { stillHere: boolean }).stillHere = true));
  await staff.fill('textarea[id^="reply-"]', REPLY);
  await staff.click('button.send-reply');
  await staff.waitForSelector('.reply-state:text("not read yet")');
  expect(await staff.textContent('.reply-row pre.message')).toBe(REPLY); // shown at once, from the tab's own copy
  expect(await staff.evaluate(() => (window as unknown as { stillHere?: boolean }).stillHere)).toBe(true); // no reload
  expect(await staff.textContent('#key-status')).toContain('Key unlocked');
  expect(await staff.inputValue('textarea[id^="reply-"]')).toBe('');
  // The source's message is shown as a message, decrypted in the conversation opened with the key
  // unlocked (which the reply did not make the page forget): no file to save.
  await staff.waitForSelector('li.submission.is-message pre.message');
  expect(await staff.textContent('li.submission.is-message pre.message')).toBe('I have the contracts from the ministry.');
  expect(await staff.locator('li.submission.is-message a[download]:text("Save")').count()).toBe(0);
  expect(await staff.locator('li.submission.is-message button.open').isVisible()).toBe(false);
  // The newsroom names the source; the name is encrypted here to the journalists' keys.
  await staff.fill('input[id^="label-"]', 'Ministry contracts source');
  await staff.click('button.save-label');
  await staff.waitForSelector('.label-status:text("Saved, encrypted.")');
  expect(await staff.textContent('.source-label')).toBe('Ministry contracts source · ');

  // 3. The source comes back with the codename, reads the reply, and sends more.
  const back = await browser.context.newPage();
  await back.goto(`${instance.sourceUrl}/login`);
  await back.fill('#codename-input', codename.toUpperCase());
  await back.click('#codename-submit');
  await back.waitForSelector('#conversation', { state: 'visible', timeout: 30_000 });
  expect(await back.textContent('#replies')).toContain(REPLY);
  // What the source sent, named on this device: the manifest is sealed to the source's own key too.
  await back.waitForSelector('#sent-items li:has-text("Your message")');
  expect(await back.locator('#sent-items li').allTextContents()).toEqual([expect.stringMatching(/^Item 1 · Your message · \d{4}-\d\d-\d\d · /)]);
  await back.fill('#message', 'It was the deputy minister. Second batch attached.');
  const batch = path.join(work, 'batch-2.txt');
  await writeFile(batch, 'Contract 2, signed by the deputy minister.');
  await back.setInputFiles('#files', batch);
  expect(await sendAndConfirm(back)).toBeNull(); // no new codename: same conversation
  await back.waitForSelector('#done', { state: 'visible' });

  // 4. The journalist sees the follow-up under the same designation, and that the reply was read.
  await staff.goto(`${instance.journalistUrl}/`);
  expect(await staff.locator('li.conversation').count()).toBe(1);
  await staff.click('li.conversation a.designation');
  await staff.waitForSelector('ol.thread');
  expect(await staff.locator('ol.thread li.submission').count()).toBe(3); // two messages and a file
  expect(await staff.textContent('.reply-state')).toBe('read by the source');
  expect(await staff.textContent('.reply-by')).toMatch(/^Reply by desk, /);
  // Colleagues read replies too: the journalist's GnuPG-exported key opens it in the page.
  await unlockKey(staff, gpg.secretKeyFile, gpg.passphrase);
  await staff.click('button.open-reply');
  await staff.waitForSelector('.reply-row pre.message');
  expect(await staff.textContent('.reply-row pre.message')).toBe(REPLY);
  await staff.waitForSelector('.source-label:text("Ministry contracts source")'); // decrypted again after the reload
  // Both messages read as messages (unlocking names them and opens neither); the file is an
  // attachment, named, decrypted when asked.
  await expect.poll(() => staff.locator('li.submission.is-message .item:text-is("Message")').count()).toBe(2);
  expect(await staff.locator('li.submission pre.message').count()).toBe(0);
  await staff.waitForSelector('li.submission:not(.is-message) .item:text("File: batch-2.txt")');
  // By keyboard: the Decrypt button works with Enter, like every control here (native elements only).
  await staff.focus('li.submission:not(.is-message) button.open');
  await staff.keyboard.press('Enter');
  await staff.waitForSelector('li.submission:not(.is-message) pre.message');
  expect(await staff.textContent('li.submission:not(.is-message) pre.message')).toBe('Contract 2, signed by the deputy minister.');

  // 5. Neither the codename nor the reply's plaintext is anywhere on the server's disk.
  expect(await findBytes([instance.config.dataDir], [codename, REPLY, 'reply-canary-7f3a', 'Ministry contracts source'])).toEqual([]);

  // 6. The reply is a standard OpenPGP message: the journalist's GnuPG key opens it, a stranger's does not.
  const replyId = (instance.rows().replies as { id: string; blob: string }[])[0]!;
  const file = path.join(work, 'reply.pgp');
  await writeFile(file, await instance.store.blobs.read(replyId.blob));
  // gpg -d gives the text, then only zeros up to the reply's size class (README: `tr -d '\000'`).
  const plain = await gpg.decrypt(file);
  expect(plain.length).toBe(4096);
  expect(plain.subarray(0, Buffer.byteLength(REPLY)).toString()).toBe(REPLY);
  expect(plain.subarray(Buffer.byteLength(REPLY)).every((b) => b === 0)).toBe(true);
  await expect(stranger.decrypt(file)).rejects.toThrow();

  // 7. Back once more: every item named, the file by its name; and the journalist's GnuPG key still
  // opens each stored manifest (it holds one session key packet more: the source's).
  const later = await browser.context.newPage();
  await later.goto(`${instance.sourceUrl}/login`);
  await later.fill('#codename-input', codename);
  await later.click('#codename-submit');
  await later.waitForSelector('#sent-items li:has-text("batch-2.txt")', { timeout: 30_000 });
  await expect.poll(() => later.locator('#sent-items li:has-text("Your message")').count()).toBe(2);
  const names: string[] = [];
  for (const row of instance.rows().submissions as { manifest_blob: string }[]) {
    const manifest = path.join(work, 'manifest.pgp');
    await writeFile(manifest, await instance.store.blobs.read(row.manifest_blob));
    names.push((JSON.parse((await gpg.decrypt(manifest)).toString().trimEnd()) as { name: string }).name);
  }
  expect(names.sort()).toEqual(['batch-2.txt', 'message.txt', 'message.txt']);
});
