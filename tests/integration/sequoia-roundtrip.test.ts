import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { launchChromium } from '../helpers/browser.ts';
import { sealdrop } from '../helpers/cli.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { makeSqKey, type SqKey } from '../helpers/sequoia.ts';
import { submitThroughPage } from '../helpers/submit.ts';

// Non-negotiable 6, the Sequoia half: what a source's page encrypts, what the server encrypts for
// a source without JavaScript, and a journalist's padded reply all open with Sequoia's `sq`,
// with a key Sequoia itself made, following the README's recipe (manifest, parts in order, cut to
// the size). A journalist with a GnuPG key is a recipient of the same objects.
const PART = 1024 * 1024;
const BOUNDARY = 'sealdrop-sq-boundary';
let instance: Instance;
let carol: SqKey;
let dave: GpgHome;
let work: string;
let exported: string;
const pageFile = randomBytes(2 * PART + 4321);
const formFile = randomBytes(PART + 77);
const message = `Meet at the usual place. ${randomBytes(6).toString('hex')}`;

async function postWithoutJavaScript(): Promise<void> {
  const head = `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="ledger.pdf"\r\nContent-Type: application/pdf\r\n\r\n`;
  const body = Buffer.concat([Buffer.from(head), formFile, Buffer.from(`\r\n--${BOUNDARY}--\r\n`)]);
  const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` }, body, redirect: 'manual' });
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  [carol, dave] = await Promise.all([makeSqKey('carol'), makeGpgHome('dave', 'ed25519')]);
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART) });
  const data = instance.config.dataDir;
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-sq-it-'));
  await writeFile(path.join(work, 'carol.asc'), carol.publicKey);
  for (const [name, file] of [['carol', path.join(work, 'carol.asc')], ['dave', dave.publicKeyFile]]) {
    const added = await sealdrop(['journalist', 'add', '--data', data, '--username', name!, '--public-key', file!]);
    expect(added.code, added.stderr).toBe(0);
  }
  const filePath = path.join(work, 'minutes.docx');
  await writeFile(filePath, pageFile);
  const browser = await launchChromium();
  try {
    await submitThroughPage(browser.context, instance.sourceUrl, [filePath], message);
  } finally {
    await browser.close();
  }
  await postWithoutJavaScript();
  exported = path.join(work, 'export');
  const result = await sealdrop(['export', '--data', data, '--out', exported]);
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  await instance?.stop();
  await Promise.all([carol?.cleanup(), dave?.cleanup(), work && rm(work, { recursive: true, force: true })]);
});

async function submissionDirs(): Promise<string[]> {
  const dirs: string[] = [];
  for (const designation of await readdir(exported)) {
    for (const id of await readdir(path.join(exported, designation))) dirs.push(path.join(exported, designation, id));
  }
  return dirs;
}

test('sq decrypts every object the page and the no-JavaScript path stored, byte for byte', async () => {
  const opened = await Promise.all((await submissionDirs()).map((d) => gpgOpenSubmission((f) => carol.decrypt(f), d)));
  expect(opened.map((o) => o.manifest.name).sort()).toEqual(['ledger.pdf', 'message.txt', 'minutes.docx']);
  expect(opened.find((o) => o.manifest.name === 'minutes.docx')?.plaintext.equals(pageFile)).toBe(true);
  expect(opened.find((o) => o.manifest.name === 'minutes.docx')?.manifest.partCount).toBe(3);
  expect(opened.find((o) => o.manifest.name === 'ledger.pdf')?.plaintext.equals(formFile)).toBe(true);
  expect(opened.find((o) => o.manifest.name === 'message.txt')?.plaintext.toString('utf8')).toBe(message);
  // The same objects open for the colleague whose key GnuPG made: one envelope, every reader.
  const byGpg = await Promise.all((await submissionDirs()).map((d) => gpgOpenSubmission((f) => dave.decrypt(f), d)));
  expect(byGpg.map((o) => o.plaintext.length).sort()).toEqual(opened.map((o) => o.plaintext.length).sort());
});

test('sq refuses a part altered by one bit, and a part from another submission is refused by the manifest digests', async () => {
  const [first] = await submissionDirs();
  const bad = path.join(work, 'bad.pgp');
  const bytes = await readFile(path.join(first!, partFileName(1)));
  bytes[bytes.length - 30]! ^= 0x01;
  await writeFile(bad, bytes);
  await expect(carol.decrypt(bad)).rejects.toThrow();
  // A swapped part: each decrypts, but the recipe's digest check refuses the whole.
  const dirs = await submissionDirs();
  const mixed = await mkdtemp(path.join(work, 'mixed-'));
  const donor = dirs.find((d) => d !== first)!;
  await copyFile(path.join(first!, MANIFEST_FILE), path.join(mixed, MANIFEST_FILE));
  const parts = (await readdir(first!)).filter((n) => n !== MANIFEST_FILE);
  for (const name of parts) await copyFile(path.join(first!, name), path.join(mixed, name));
  await copyFile(path.join(donor, partFileName(1)), path.join(mixed, partFileName(1)));
  await expect(gpgOpenSubmission((f) => carol.decrypt(f), mixed)).rejects.toThrow(/digest|after the end/);
});

test('a journalist reply, padded inside the encryption, opens with sq and is the text followed by zeros', async () => {
  const recipients = await Promise.all([carol.publicKey, await readFile(dave.publicKeyFile, 'utf8')].map(async (k) => (await readJournalistKey(k)).key));
  const file = path.join(work, 'reply.pgp');
  await writeFile(file, await sealText({ kind: 'reply', text: 'Thank you. Ask for Jo.', recipients }));
  const plain = await carol.decrypt(file);
  expect(plain.toString('utf8').replace(/\0+$/, '')).toBe('Thank you. Ask for Jo.');
  expect(plain.length).toBeGreaterThan(4000);
});
