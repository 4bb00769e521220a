import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { launchChromium } from '../helpers/browser.ts';
import { sealdrop } from '../helpers/cli.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { submitThroughPage } from '../helpers/submit.ts';

// Two journalists whose keys GnuPG made (RSA, and Ed25519 + cv25519); a submission made by the
// real browser bundle in Chromium; then only GnuPG and the sealdrop CLI on the journalist's side.
let instance: Instance;
let alice: GpgHome;
let bob: GpgHome;
let work: string;
let exported: string;
const file = randomBytes(9 * 1024 * 1024 + 12345);
const message = `Second source at the ministry. ${randomBytes(8).toString('hex')}`;

beforeAll(async () => {
  [alice, bob] = await Promise.all([makeGpgHome('alice', 'default'), makeGpgHome('bob', 'ed25519')]);
  instance = await startInstance();
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-gpg-it-'));
  const data = instance.config.dataDir;
  for (const [name, home] of [['alice', alice], ['bob', bob]] as const) {
    const added = await sealdrop(['journalist', 'add', '--data', data, '--username', name, '--public-key', home.publicKeyFile]);
    expect(added.code, added.stderr).toBe(0);
  }
  const filePath = path.join(work, 'Quarterly report.xlsx');
  await writeFile(filePath, file);
  const browser = await launchChromium();
  try {
    await submitThroughPage(browser.context, instance.sourceUrl, [filePath], message);
  } finally {
    await browser.close();
  }
  exported = path.join(work, 'export');
  const result = await sealdrop(['export', '--data', data, '--out', exported]);
  expect(result.code, result.stderr).toBe(0);
});

afterAll(async () => {
  await instance?.stop();
  await Promise.all([alice?.cleanup(), bob?.cleanup(), work && rm(work, { recursive: true, force: true })]);
});

async function submissionDirs(): Promise<string[]> {
  const [designation, ...others] = await readdir(exported);
  expect(others).toEqual([]);
  return (await readdir(path.join(exported, designation!))).map((id) => path.join(exported, designation!, id));
}

/** The README's recipe: gpg -d the manifest, then each part in order, cut to the manifest's size. */
async function gpgOpen(home: GpgHome, dir: string): Promise<{ name: string; plaintext: Buffer }> {
  const { manifest, plaintext } = await gpgOpenSubmission((f) => home.decrypt(f), dir);
  return { name: manifest.name, plaintext };
}

describe('GnuPG 2.2 decrypts what the browser sent', () => {
  test('export layout is designation/submission-id/manifest.pgp + part-NNNNN.pgp + sealed-to.txt', async () => {
    const dirs = await submissionDirs();
    expect(dirs).toHaveLength(2);
    const listings = await Promise.all(dirs.map((d) => readdir(d)));
    expect(listings.map((l) => l.sort())).toContainEqual(['manifest.pgp', 'part-00001.pgp', 'part-00002.pgp', 'part-00003.pgp', 'sealed-to.txt']);
    expect(listings.map((l) => l.sort())).toContainEqual(['manifest.pgp', 'part-00001.pgp', 'sealed-to.txt']);
  });

  test.each([['alice (RSA)', () => alice], ['bob (cv25519)', () => bob]])('%s alone decrypts every object with gpg -d, byte for byte', async (_label, who) => {
    const opened = await Promise.all((await submissionDirs()).map((d) => gpgOpen(who(), d)));
    const doc = opened.find((o) => o.name === 'Quarterly report.xlsx');
    expect(doc?.plaintext.equals(file)).toBe(true);
    expect(opened.find((o) => o.name === 'message.txt')?.plaintext.toString('utf8')).toBe(message);
  });
});

describe('sealdrop decrypt', () => {
  test('decrypts with a key exported from GnuPG and its passphrase, under the original names', async () => {
    const out = path.join(work, 'plain-ok');
    const passFile = path.join(work, 'pass');
    await writeFile(passFile, `${alice.passphrase}\n`);
    const result = await sealdrop(['decrypt', '--key', alice.secretKeyFile, '--passphrase-file', passFile, '--in', exported, '--out', out]);
    expect(result.code, result.stderr).toBe(0);
    const [designation] = await readdir(out);
    const ids = await readdir(path.join(out, designation!));
    const files = await Promise.all(ids.map(async (id) => ({ id, names: await readdir(path.join(out, designation!, id)) })));
    const doc = files.find((f) => f.names.includes('Quarterly report.xlsx'))!;
    expect((await readFile(path.join(out, designation!, doc.id, 'Quarterly report.xlsx'))).equals(file)).toBe(true);
  });

  test('a wrong passphrase is refused and writes nothing', async () => {
    const out = path.join(work, 'plain-badpass');
    const passFile = path.join(work, 'badpass');
    await writeFile(passFile, 'not it');
    const result = await sealdrop(['decrypt', '--key', alice.secretKeyFile, '--passphrase-file', passFile, '--in', exported, '--out', out]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/passphrase/i);
    expect(await readdir(out).catch(() => [])).toEqual([]);
  });
});
