import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { readRecipientKeyIds } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { foldedPieces } from '../helpers/folded.ts';
import { gpgOpenSubmission } from '../helpers/gpg.ts';
import { startSniffer, type Sniffer } from '../helpers/sniffer.ts';
import { sendAndConfirm } from '../helpers/submit.ts';
import { exportedDirs, gpgExitOnManifest, journalistKeyIds, startTwoDesks, type TwoDesks } from '../helpers/two-desks.ts';

// Issue 23: two desks, one journalist each. A source chooses desk B in Chromium with JavaScript on:
// every object the page uploads is sealed to B's key alone; gpg with B's key opens the file, gpg
// with A's key cannot open even its manifest.
let drop: TwoDesks;
let browser: Awaited<ReturnType<typeof launchChromium>>;
let sniffer: Sniffer;

/** The requests (HTTP head, body) on one connection whose request line matches `line` (Content-Length framing, as Chromium sends them). */
function requests(stream: Buffer, line: RegExp): [string, Buffer][] {
  const found: [string, Buffer][] = [];
  for (let at = 0; at < stream.length; ) {
    const end = stream.indexOf('\r\n\r\n', at);
    if (end < 0) break;
    const head = stream.subarray(at, end).toString('latin1');
    const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
    if (line.test(head.split('\r\n')[0]!)) found.push([head, stream.subarray(end + 4, end + 4 + length)]);
    at = end + 4 + length;
  }
  return found;
}

beforeAll(async () => {
  drop = await startTwoDesks('desks-js');
  sniffer = await startSniffer(Number(new URL(drop.instance.sourceUrl).port));
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await sniffer?.close();
  await drop?.stop();
});

test('a source picks desk B: the page seals to B’s key only; gpg opens it with B’s key and fails with A’s', async () => {
  const file = randomBytes(300_000);
  const name = `for-desk-b-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(drop.work, name), file);
  const page = await browser.context.newPage();
  await page.goto(sniffer.url);
  await page.waitForSelector('#path-js', { state: 'visible' });
  await page.setInputFiles('#files', path.join(drop.work, name));
  await page.check(`#desk-${drop.deskB}`);
  expect(await sendAndConfirm(page)).not.toBeNull();
  await page.waitForSelector('#done', { state: 'visible', timeout: 110_000 });
  // The choice is the conversation's now: the radios are shown, no longer open.
  expect(await page.isDisabled(`#desk-${drop.deskB}`)).toBe(true);

  // What the page sent on the wire (read through a relay: a Blob body is not in the browser's request events).
  // Folded sends: the first carries the registration, with the desk chosen; each, a part or the manifest or both.
  const sends = sniffer.streams().flatMap((s) => requests(s, /^POST \/api\/sends\/\d+ /)).map(([head, body]) => foldedPieces(head, body));
  expect((sends[0]!.head.register as { desk: number }).desk).toBe(drop.deskB);
  const uploads = sends.flatMap((p) => [p.part, p.manifest].filter((b): b is Buffer => b !== null));
  expect(uploads.length).toBeGreaterThanOrEqual(2); // the file's part(s) and its manifest
  for (const body of uploads) expect(journalistKeyIds(drop.instance, readRecipientKeyIds(body))).toEqual([drop.keyB.recipientKeyId]);

  const [dir, ...others] = await exportedDirs(drop);
  expect(others).toEqual([]);
  const { manifest, plaintext } = await gpgOpenSubmission((f) => drop.gpgB.decrypt(f), dir!);
  expect(manifest.name).toBe(name);
  expect(plaintext.equals(file)).toBe(true);
  expect(await gpgExitOnManifest(drop.gpgA, dir!)).toBe(2); // gpg's exit status: no secret key for it
});
