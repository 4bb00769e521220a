import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, ElementHandle } from 'puppeteer-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readRecipientKeyIds } from '../../common/envelope/index.ts';
import { translator } from '../../server/i18n/index.ts';
import { launchFirefox } from '../helpers/firefox.ts';
import { gpgOpenSubmission } from '../helpers/gpg.ts';
import { safestSentence, until } from '../helpers/pages.ts';
import { exportedDirs, gpgExitOnManifest, journalistKeyIds, startTwoDesks, type TwoDesks } from '../helpers/two-desks.ts';

// Issue 23 with JavaScript off (Tor Browser "Safest", Firefox ESR): the source picks desk B in the
// plain radio list; the server encrypts what arrives to B's key alone. gpg with B's key opens the
// file, gpg with A's key cannot open any of it.
let drop: TwoDesks;
let browser: Browser;

beforeAll(async () => {
  drop = await startTwoDesks('desks-nojs');
  browser = await launchFirefox('safest');
});
afterAll(async () => {
  await browser?.close();
  await drop?.stop();
});

test('JavaScript off: desk B chosen with the keyboard; sealed to B only, gpg opens it with B and fails with A', async () => {
  const { instance } = drop;
  const file = randomBytes(200_000);
  const name = `nojs-desk-b-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(drop.work, name), file);
  const page = await browser.newPage();
  await page.goto(`${instance.sourceUrl}/`);
  expect(await safestSentence(page)).toBe(translator('en').text('source.path.nojs'));
  await page.focus(`#desk-${drop.deskB}`);
  await page.keyboard.press(' '); // a radio is chosen as a keyboard user chooses it
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(path.join(drop.work, name));
  await page.focus('#message');
  await page.keyboard.type('For the local desk only.');
  await page.focus('#send-plain');
  await page.keyboard.press('Enter'); // page.click hangs in Firefox with JavaScript off
  await until(async () => page.url().endsWith('/submit') && (await page.content()).includes('id="codename"'), 120_000, 'the codename page');

  expect((instance.rows().sources as { desk_id: number | null }[]).map((s) => s.desk_id)).toEqual([drop.deskB]);
  const objects = await instance.objectFiles();
  expect(objects.length).toBeGreaterThanOrEqual(4); // the file and the message, each with its manifest
  for (const f of objects) expect(journalistKeyIds(instance, readRecipientKeyIds(await readFile(path.join(instance.config.dataDir, 'objects', f))))).toEqual([drop.keyB.recipientKeyId]);

  const dirs = await exportedDirs(drop);
  expect(dirs).toHaveLength(2);
  const opened = await Promise.all(dirs.map((dir) => gpgOpenSubmission((f) => drop.gpgB.decrypt(f), dir)));
  expect(opened.find((o) => o.manifest.name === name)?.plaintext.equals(file)).toBe(true);
  for (const dir of dirs) expect(await gpgExitOnManifest(drop.gpgA, dir)).toBe(2); // gpg's exit status: no secret key for it
});
