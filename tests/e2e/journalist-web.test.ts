import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { currentStep, totpCode } from '../../server/auth/totp.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { launchChromium } from '../helpers/browser.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { submitThroughPage } from '../helpers/submit.ts';
import { execFileSync } from 'node:child_process';

// The whole newsroom story in a real browser: first-run setup with a key made in the browser, a
// source's upload, login with passphrase and TOTP, decryption in the page; then the downloaded
// private key opens the same ciphertext with GnuPG.
let instance: Instance;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let gpg: GpgHome;
let work: string;
const PASSPHRASE = 'orchard lantern basalt quiver 42';
const KEY_PASSPHRASE = 'a different key passphrase';

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('importer')]);
  browser = await launchChromium({ downloads: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-jweb-'));
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await gpg?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/** A code for the step after `previous`, waiting for the clock if need be (codes are single-use). */
async function freshCode(secret: string, previous: { step: number }): Promise<string> {
  while (currentStep() <= previous.step) await new Promise((r) => setTimeout(r, 500));
  previous.step = currentStep();
  return totpCode(secret, previous.step);
}

test('setup → browser-made key → source upload → TOTP login → decrypt in the page; gpg agrees', async () => {
  const page = await browser.context.newPage();
  expect(instance.running.setupPath).toMatch(/^\/setup\/[\w-]{32}$/);
  await page.goto(`${instance.journalistUrl}${instance.running.setupPath}`);
  const secret = (await page.textContent('#totp-secret'))!.trim();
  const used = { step: currentStep() - 1 };
  await page.fill('#username', 'editor');
  await page.fill('#passphrase', PASSPHRASE);
  await page.fill('#passphrase2', PASSPHRASE);
  await page.fill('#code', await freshCode(secret, used));
  await page.fill('#key_passphrase', KEY_PASSPHRASE);
  await page.fill('#key_passphrase2', KEY_PASSPHRASE);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#generate-key')]);
  const keyFile = path.join(work, 'private.asc');
  await download.saveAs(keyFile);
  const privateKey = await readFile(keyFile, 'utf8');
  expect(privateKey).toContain('BEGIN PGP PRIVATE KEY BLOCK');
  expect(await page.inputValue('#public_key')).toContain('BEGIN PGP PUBLIC KEY BLOCK');
  await page.click('button[type=submit]');
  await page.waitForSelector('text=Account created');
  expect(instance.running.setupPath).toBeNull(); // the link was one-time
  const stored = JSON.stringify(instance.rows());
  expect(stored).not.toContain('PRIVATE KEY'); // only the public key reached the server

  const file = randomBytes(5 * 1024 * 1024 + 3);
  await writeFile(path.join(work, 'dossier.bin'), file);
  await submitThroughPage(browser.context, instance.sourceUrl, [path.join(work, 'dossier.bin')], 'Look at page 3.');

  await page.goto(`${instance.journalistUrl}/login`);
  await page.fill('#username', 'editor');
  await page.fill('#passphrase', PASSPHRASE);
  await page.fill('#code', await freshCode(secret, used));
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text("Inbox")');
  expect(await page.locator('li.submission.unread').count()).toBe(2);

  await page.setInputFiles('#key-file', keyFile);
  await page.fill('#key-passphrase', KEY_PASSPHRASE);
  await page.click('#load-key');
  await page.waitForSelector('text=Key unlocked');
  // The message opens by itself, as text in the conversation; the file is an attachment to decrypt.
  await page.waitForSelector('li.submission.is-message pre.message');
  expect(await page.textContent('li.submission.is-message pre.message')).toBe('Look at page 3.');
  await page.waitForSelector('li.submission:not(.is-message) .item:text("Attachment: dossier.bin")');
  await page.click('li.submission:not(.is-message) button.open');
  const link = page.locator('a[download="dossier.bin"]');
  const [saved] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const savedPath = path.join(work, 'saved.bin');
  await saved.saveAs(savedPath);
  expect((await readFile(savedPath)).equals(file)).toBe(true);
  await page.reload();
  expect(await page.locator('li.submission.unread').count()).toBe(0);

  // The browser-made key is a normal OpenPGP key: GnuPG imports it and decrypts the export.
  const env = { ...process.env, GNUPGHOME: gpg.home };
  execFileSync('gpg', ['--batch', '--pinentry-mode', 'loopback', '--passphrase', KEY_PASSPHRASE, '--import', keyFile], { env, stdio: 'ignore' });
  const out = path.join(work, 'export');
  await exportSubmissions(instance.store, out);
  const [designation] = await import('node:fs/promises').then((fs) => fs.readdir(out));
  const ids = await import('node:fs/promises').then((fs) => fs.readdir(path.join(out, designation!)));
  const decrypt = async (f: string) => execFileSync('gpg', ['--batch', '--quiet', '--pinentry-mode', 'loopback', '--passphrase', KEY_PASSPHRASE, '-d', f], { env, maxBuffer: 64 * 1024 * 1024 });
  const opened = await Promise.all(ids.map((id) => gpgOpenSubmission(decrypt, path.join(out, designation!, id))));
  const doc = opened.find((o) => o.manifest.name === 'dossier.bin')!;
  expect(doc.plaintext.equals(file)).toBe(true);
});
