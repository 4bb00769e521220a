import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readJournalistKey, readRecipientKeyIds } from '../../common/envelope/index.ts';
import { MANIFEST_FILE } from '../../common/export-layout.ts';
import { exportSubmissions } from '../../server/cli/export.ts';
import { translator } from '../../server/i18n/index.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { safestSentence, until } from '../helpers/pages.ts';
import { makeAccount } from '../helpers/staff-client.ts';

// Issue 23 with JavaScript off (Tor Browser "Safest", Firefox ESR): the source picks desk B in the
// plain radio list; the server encrypts what arrives to B's key alone. gpg with B's key opens the
// file, gpg with A's key cannot open any of it.
let instance: Instance;
let gpgA: GpgHome;
let gpgB: GpgHome;
let work: string;
let browser: Browser;
let deskB: number;

beforeAll(async () => {
  [instance, gpgA, gpgB] = await Promise.all([startInstance(), makeGpgHome('nojs-a'), makeGpgHome('nojs-b')]);
  const ana = await makeAccount(instance, 'ana', { publicKey: await readFile(gpgA.publicKeyFile, 'utf8') });
  const ben = await makeAccount(instance, 'ben', { publicKey: await readFile(gpgB.publicKeyFile, 'utf8') });
  const { desks } = instance.store;
  const a = desks.create('investigations', { en: { name: 'Investigations', description: 'Long projects' } }, 'cli');
  const b = desks.create('local', { en: { name: 'Local news', description: 'The city' } }, 'cli');
  desks.addMember(a.id, ana.id);
  desks.addMember(b.id, ben.id);
  deskB = b.id;
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-desks-ff-'));
  browser = await launchFirefox('safest');
});
afterAll(async () => {
  await browser?.close();
  await instance?.stop();
  await Promise.all([gpgA?.cleanup(), gpgB?.cleanup()]);
  await rm(work, { recursive: true, force: true });
});

test('JavaScript off: desk B chosen with the keyboard; sealed to B only, gpg opens it with B and fails with A', async () => {
  const file = randomBytes(200_000);
  const name = `nojs-desk-b-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(work, name), file);
  const page = await browser.newPage();
  await page.goto(`${instance.sourceUrl}/`);
  expect(await safestSentence(page)).toBe(translator('en').text('source.path.nojs'));
  await page.focus(`#desk-${deskB}`);
  await page.keyboard.press(' '); // a radio is chosen as a keyboard user chooses it
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(path.join(work, name));
  await page.focus('#message');
  await page.keyboard.type('For the local desk only.');
  await page.focus('#send-plain');
  await page.keyboard.press('Enter'); // page.click hangs in Firefox with JavaScript off
  await until(async () => page.url().endsWith('/submit') && (await page.content()).includes('id="codename"'), 120_000, 'the codename page');

  expect((instance.rows().sources as { desk_id: number | null }[]).map((s) => s.desk_id)).toEqual([deskB]);
  const keyB = await readJournalistKey(await readFile(gpgB.publicKeyFile, 'utf8'));
  const objects = await instance.objectFiles();
  expect(objects.length).toBeGreaterThanOrEqual(4); // the file and the message, each with its manifest
  for (const f of objects) expect(readRecipientKeyIds(await readFile(path.join(instance.config.dataDir, 'objects', f)))).toEqual([keyB.recipientKeyId]);

  const out = await mkdtemp(path.join(work, 'export-'));
  await exportSubmissions(instance.store, out);
  const dirs: string[] = [];
  for (const designation of await readdir(out)) for (const id of await readdir(path.join(out, designation))) dirs.push(path.join(out, designation, id));
  expect(dirs).toHaveLength(2);
  const opened = await Promise.all(dirs.map((dir) => gpgOpenSubmission((f) => gpgB.decrypt(f), dir)));
  expect(opened.find((o) => o.manifest.name === name)?.plaintext.equals(file)).toBe(true);
  for (const dir of dirs) {
    const refused = await gpgA.decrypt(path.join(dir, MANIFEST_FILE)).then(
      () => null,
      (error: { code?: number }) => error,
    );
    expect(refused?.code).toBe(2); // gpg's exit status: no secret key for it
  }
});
