import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { launchChromium } from '../helpers/browser.ts';
import { sendAndConfirm } from '../helpers/submit.ts';
import { startTwoDesks, type TwoDesks } from '../helpers/two-desks.ts';

// A NEW source on a drop with two desks, whose desk's key changes after the page loaded: the server
// refuses the first request (wrong_recipients) and the page seals again to the current keys. A new
// source has no session yet, so the fresh config names no keys of its own: the chosen desk's keys
// must be taken (client/source/send.ts). The send has two items: the retry opens a new secret, and
// the refused one must not be reserved again by the retry (it would stay a pending orphan).
let drop: TwoDesks;
let browser: Awaited<ReturnType<typeof launchChromium>>;

beforeAll(async () => {
  drop = await startTwoDesks('desk-keys-changed');
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await drop?.stop();
});

test('a new source whose desk’s key changed while the page was open: both items sent, complete, no orphan item', async () => {
  const { instance } = drop;
  const name = `changed-${randomBytes(4).toString('hex')}.bin`;
  await writeFile(path.join(drop.work, name), randomBytes(50_000));
  const page = await browser.context.newPage();
  await page.goto(instance.sourceUrl);
  await page.waitForSelector('#path-js', { state: 'visible' });
  // Ben (desk B's one member) replaces his key now: the page holds the old one.
  const ben = (instance.rows().journalists as { id: number; username: string }[]).find((j) => j.username === 'ben')!;
  const fresh = await generateKeyPair({ name: 'Ben again' });
  expect(await instance.store.changes.request('key', { journalistId: ben.id, publicKey: fresh.publicKey }, ben.id)).toEqual({ applied: true });
  const statuses: number[] = [];
  page.on('response', (r) => void (new URL(r.url()).pathname.startsWith('/api/sends/') && statuses.push(r.status())));
  await page.setInputFiles('#files', path.join(drop.work, name));
  await page.fill('#message', `to desk B ${randomBytes(4).toString('hex')}`);
  await page.check(`#desk-${drop.deskB}`);
  expect(await sendAndConfirm(page)).not.toBeNull();
  await page.waitForSelector('#done:not([hidden]), #failed:not([hidden])', { timeout: 120_000 });
  expect(await page.isVisible('#failed'), (await page.textContent('#progress')) ?? '').toBe(false);
  expect(statuses[0]).toBe(409); // the refusal really happened
  const rows = instance.rows().submissions as { state: string }[];
  expect(rows.map((r) => r.state)).toEqual(['complete', 'complete']);
}, 180_000);
