import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
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
import * as openpgp from 'openpgp';
import { secretsIn, startSniffer, type Sniffer } from '../helpers/sniffer.ts';

// The whole newsroom story in a real browser: first-run setup with a key made in the browser, a
// source's upload, login with passphrase and TOTP, decryption in the page; then the downloaded
// private key opens the same ciphertext with GnuPG. Every byte the browser sends the journalist
// listener goes through a sniffer, searched at the end for the private key's secret material.
let instance: Instance;
let sniffer: Sniffer;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let gpg: GpgHome;
let work: string;
const PASSPHRASE = 'orchard lantern basalt quiver 42';
const KEY_PASSPHRASE = 'a different key passphrase';

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('importer')]);
  sniffer = await startSniffer(Number(new URL(instance.journalistUrl).port));
  browser = await launchChromium({ downloads: true });
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-jweb-'));
});
afterAll(async () => {
  await browser?.close();
  await sniffer?.close();
  await instance?.stop();
  await gpg?.cleanup();
  await rm(work, { recursive: true, force: true });
});

/**
 * A code for a step after `previous` (codes are single-use): the current step's, or, while that
 * is the one just used, the next step's, which the server takes as one step of clock drift
 * (server/auth/totp.ts), instead of waiting up to 30 s for the clock to turn.
 */
function freshCode(secret: string, previous: { step: number }): string {
  previous.step = Math.max(currentStep(), previous.step + 1);
  return totpCode(secret, previous.step);
}

/**
 * The private key's secret material, from the saved file: each key's secret scalars (unlocked with
 * the passphrase), each secret-key packet's protected secret part as the file holds it, and the
 * passphrase; and the session key of every stored object the page decrypted. None of it, in any encoding, may be in what the browser sent the server; the public
 * key, which setup does send, must be (so the search does see the setup's traffic).
 */
async function noKeyMaterialSent(armoredKey: string, submissions: string[]): Promise<void> {
  const locked = await openpgp.readPrivateKey({ armoredKey });
  const unlocked = await openpgp.decryptKey({ privateKey: locked, passphrase: KEY_PASSPHRASE });
  const secrets: Record<string, Uint8Array> = { passphrase: Buffer.from(KEY_PASSPHRASE) };
  const packets = (k: openpgp.PrivateKey) => [k.keyPacket, ...k.subkeys.map((s) => s.keyPacket)] as openpgp.SecretKeyPacket[];
  // The public part of a key packet, as the public key carries it (typed in openpgp.js's source, not its .d.ts).
  const publicPart = (p: object): Uint8Array => (p as unknown as { writePublicKey(): Uint8Array }).writePublicKey();
  packets(unlocked).forEach((packet, i) => {
    const params = (packet as unknown as { privateParams: Record<string, unknown> }).privateParams;
    for (const [name, value] of Object.entries(params)) if (value instanceof Uint8Array) secrets[`key ${i} secret ${name}`] = value;
  });
  packets(locked).forEach((packet, i) => (secrets[`key ${i} protected secret`] = packet.write().subarray(publicPart(packet).length)));
  expect(Object.keys(secrets).filter((n) => n.includes(' secret ')).length).toBeGreaterThanOrEqual(packets(unlocked).length);
  // And the session key of every object the page decrypted (manifests and parts): never sent in the clear either.
  for (const dir of submissions) {
    for (const name of (await readdir(dir)).filter((n) => n.endsWith('.pgp'))) {
      const message = await openpgp.readMessage({ binaryMessage: await readFile(path.join(dir, name)) });
      const [sessionKey] = await openpgp.decryptSessionKeys({ message, decryptionKeys: unlocked });
      secrets[`session key of ${path.basename(dir)}/${name}`] = sessionKey!.data;
    }
  }
  expect(Object.keys(secrets).filter((n) => n.startsWith('session key')).length).toBeGreaterThanOrEqual(4);
  const sent = sniffer.sent();
  expect(secretsIn(sent, secrets)).toEqual([]);
  expect(sent.includes(Buffer.from('PRIVATE KEY'))).toBe(false);
  // Positive controls: the public key (posted at setup, armoured, form-encoded), and the reply and label posts.
  expect(secretsIn(sent, { 'public key packet': publicPart(locked.keyPacket) })).toEqual(['public key packet']);
  for (const post of ['/replies HTTP/1.1', '/label HTTP/1.1']) expect(sent.includes(Buffer.from(post))).toBe(true);
}

test('setup → browser-made key → source upload → TOTP login → decrypt in the page; gpg agrees', async () => {
  const page = await browser.context.newPage();
  expect(instance.running.setupPath).toMatch(/^\/setup\/[\w-]{32}$/);
  await page.goto(`${sniffer.url}${instance.running.setupPath}`);
  const secret = (await page.textContent('#totp-secret'))!.replace(/\s/g, ''); // shown in groups of four
  const used = { step: currentStep() - 1 };
  await page.fill('#username', 'editor');
  await page.fill('#passphrase', PASSPHRASE);
  await page.fill('#passphrase2', PASSPHRASE);
  await page.fill('#code', freshCode(secret, used));
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

  await page.goto(`${sniffer.url}/login`);
  await page.fill('#username', 'editor');
  await page.fill('#passphrase', PASSPHRASE);
  await page.fill('#code', freshCode(secret, used));
  await page.click('button[type=submit]');
  await page.waitForSelector('h1:text("Inbox")');
  expect(await page.textContent('li.conversation .unread-count')).toContain('2');

  await page.setInputFiles('#key-file', keyFile);
  await page.fill('#key-passphrase', KEY_PASSPHRASE);
  await page.click('#load-key');
  await page.waitForSelector('text=Key unlocked');
  // Opened with the key unlocked, the conversation shows the message as text; the file is an attachment to decrypt.
  await page.click('li.conversation a.designation');
  await page.waitForSelector('li.submission.is-message pre.message');
  expect(await page.textContent('li.submission.is-message pre.message')).toBe('Look at page 3.');
  await page.waitForSelector('li.submission:not(.is-message) .item:text("File: dossier.bin")');
  await page.click('li.submission:not(.is-message) button.open');
  const link = page.locator('a[download="dossier.bin"]');
  const [saved] = await Promise.all([page.waitForEvent('download'), link.click()]);
  const savedPath = path.join(work, 'saved.bin');
  await saved.saveAs(savedPath);
  expect((await readFile(savedPath)).equals(file)).toBe(true);
  // The unlocked key in use: a reply and a label, each encrypted in the page.
  await page.fill('textarea[id^="reply-"]', 'Thank you. Which ministry?');
  await page.click('button.send-reply');
  await page.waitForSelector('.reply-state:text("not read yet")');
  await page.fill('input[id^="label-"]', 'Page 3 source');
  await page.click('button.save-label');
  await page.waitForSelector('.label-status:text("Saved, encrypted.")');
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
  await noKeyMaterialSent(privateKey, ids.map((id) => path.join(out, designation!, id)));
});
