import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, ElementHandle, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealdrop } from '../helpers/cli.ts';
import { launchFirefox, type SecurityLevel } from '../helpers/firefox.ts';
import { gpgOpenSubmission, makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startOnionServer, type OnionServer } from '../helpers/onion-server.ts';
import { safestSentence, until } from '../helpers/pages.ts';
import { translator } from '../../server/i18n/index.ts';
import { startTorNetwork, type TorNetwork } from '../helpers/private-tor.ts';
import { fetchViaTor, MISSING_CLIENT_AUTH, onionReply, replyName, WRONG_CLIENT_AUTH } from '../helpers/tor-socks.ts';

// The drop as sources and journalists reach it: `sealdrop onion` publishing both interfaces on a
// private Tor network of local tor processes (no internet), Firefox ESR set up as Tor Browser is.
let network: TorNetwork;
let server: OnionServer;
let gpg: GpgHome;
let gpgBea: GpgHome;
let work: string;
let accessLine = '';
let beaAccessLine = '';
const CANARY = `canary-${randomBytes(12).toString('hex')}`;

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-tor-'));
  const started = Date.now();
  [network, gpg, gpgBea] = await Promise.all([startTorNetwork(), makeGpgHome('tor', 'ed25519'), makeGpgHome('tor-bea', 'ed25519')]);
  server = await startOnionServer(path.join(work, 'data'), { torrc: network.torrcFile });
  const add = async (username: string, home: GpgHome, admin: string[]) => {
    const added = await sealdrop(['journalist', 'add', '--data', path.join(work, 'data'), '--username', username, '--public-key', home.publicKeyFile, ...admin]);
    expect(added.code, added.stderr).toBe(0);
    return /^\s+(\S+:descriptor:x25519:\S+)$/m.exec(added.stdout)![1]!;
  };
  accessLine = await add('ana', gpg, ['--admin']);
  beaAccessLine = await add('bea', gpgBea, []); // still authorised once ana is disabled: the control
  await fetchViaTor(network.socksPort, `http://${server.sourceOnion}/`, { deadlineMs: 90_000 });
  console.log(JSON.stringify({ name: 'tor_first_fetch', seconds: (Date.now() - started) / 1000 }));
}, 180_000);

afterAll(async () => {
  await server?.stop();
  await network?.stop();
  await gpg?.cleanup();
  await gpgBea?.cleanup();
  if (work) await rm(work, { recursive: true, force: true });
});

/** Firefox ESR as Tor Browser is set up: SOCKS with remote DNS, onions allowed, and (unless told) onions as secure contexts. */
function torFirefox(level: SecurityLevel, onionIsSecure: boolean): Promise<Browser> {
  return launchFirefox(level, {
    'network.proxy.type': 1,
    'network.proxy.socks': '127.0.0.1',
    'network.proxy.socks_port': network.socksPort,
    'network.proxy.socks_version': 5,
    'network.proxy.socks_remote_dns': true,
    'network.proxy.no_proxies_on': '',
    'network.dns.blockDotOnion': false,
    'dom.securecontext.allowlist_onions': onionIsSecure,
  });
}

async function press(page: Page, selector: string): Promise<void> {
  await page.focus(selector);
  await page.keyboard.press('Enter'); // page.click hangs in Firefox with JavaScript off
}

async function open(page: Page, url: string): Promise<void> {
  // A first circuit to a fresh descriptor can fail once; Tor Browser's user would reload.
  for (let attempt = 1; ; attempt++) {
    try {
      await page.goto(url, { timeout: 60_000 });
      if ((await page.content()).includes('Send documents')) return;
    } catch (error) {
      if (attempt >= 4) throw error;
    }
    if (attempt >= 4) throw new Error(`${url} did not load the source page`);
    await new Promise((r) => setTimeout(r, 3000));
  }
}

async function sendWithoutScript(page: Page, file: string): Promise<void> {
  expect(await safestSentence(page)).toBe(translator('en').text('source.path.nojs'));
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
  await page.focus('#message');
  await page.keyboard.type(`Over Tor, no script. ${CANARY}`);
  await press(page, '#send-plain');
  await until(async () => page.url().endsWith('/submit') && /id="codename"|refused/.test(await page.content()), 120_000, 'the codename page');
  expect(await page.content()).toContain('id="codename"');
}

async function sendWithScript(page: Page, file: string): Promise<void> {
  await until(() => page.evaluate(() => !document.getElementById('path-js')!.hidden), 30_000, 'the page script');
  await ((await page.$('#files')) as ElementHandle<HTMLInputElement>).uploadFile(file);
  await page.type('#message', `Over Tor, encrypted in the page. ${CANARY}`);
  await page.click('#send');
  await until(() => page.evaluate(() => !document.getElementById('codename-panel')!.hidden), 30_000, 'the codename');
  await page.click('#codename-confirm');
  await until(() => page.evaluate(() => !(document.getElementById('codename-continue') as HTMLButtonElement).disabled), 60_000, 'the source keys (made while the codename is shown)');
  await page.click('#codename-continue');
  await until(() => page.evaluate(() => !document.getElementById('done')!.hidden || !document.getElementById('failed')!.hidden), 240_000, 'the upload');
  expect(await page.evaluate(() => document.getElementById('failed')!.hidden)).toBe(true);
}

/** `sealdrop export` beside the running server, then gpg alone: the plaintext of the file named `name`. */
async function gpgOpen(name: string): Promise<Buffer> {
  const out = await mkdtemp(path.join(work, 'export-'));
  const exported = await sealdrop(['export', '--data', path.join(work, 'data'), '--out', out]);
  expect(exported.code, exported.stderr).toBe(0);
  for (const designation of await readdir(out)) {
    for (const id of await readdir(path.join(out, designation))) {
      const { manifest, plaintext } = await gpgOpenSubmission((f) => gpg.decrypt(f), path.join(out, designation, id));
      if (manifest.name === name) return plaintext;
    }
  }
  throw new Error(`no submission named ${name}`);
}

/** No plaintext at rest: the canary is in no file of the data directory (database, objects, tor state). */
async function assertCanaryNowhere(): Promise<void> {
  const dir = path.join(work, 'data');
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const bytes = await readFile(path.join(entry.parentPath, entry.name));
    expect(bytes.includes(CANARY), entry.name).toBe(false);
  }
}

const runs: [string, SecurityLevel, boolean][] = [
  ['"Safest" as Tor Browser (onions are secure contexts)', 'safest', true],
  ['"Safer" as Tor Browser: encrypted in the page', 'safer', true],
  ['"Safest" in a browser without the onion allowlist', 'safest', false],
];

describe.each(runs)('a source in Firefox ESR at %s sends a file to the source onion', (_label, level, onionIsSecure) => {
  let browser: Browser | undefined;
  afterAll(() => browser?.close());

  test('and the journalist opens it with gpg', async () => {
    browser = await torFirefox(level, onionIsSecure);
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => void requested.push(r.url()));
    const name = `tor-${level}-${onionIsSecure ? 'tb' : 'plain'}.bin`;
    const file = Buffer.concat([randomBytes(200 * 1024), Buffer.from(CANARY)]);
    await writeFile(path.join(work, name), file);
    await open(page, `http://${server.sourceOnion}/`);
    if (level === 'safest') await sendWithoutScript(page, path.join(work, name));
    else await sendWithScript(page, path.join(work, name));
    // Nothing goes to any other host. (Firefox, treating the onion as secure, itself tries
    // https://<onion>/favicon.ico: the same host, a port nobody publishes, never answered.)
    expect(requested.filter((u) => /^(https?|wss?):/.test(u) && new URL(u).hostname !== server.sourceOnion)).toEqual([]);
    expect((await gpgOpen(name)).equals(file)).toBe(true);
    await assertCanaryNowhere();
  });
});

describe('the journalist onion', () => {
  const journalistUrl = () => `http://${server.journalistOnion}/login`;
  const opens = async (socksPort: number) => {
    const served = await fetchViaTor(socksPort, journalistUrl(), { deadlineMs: 90_000 });
    expect(served.status).toBe(200);
    expect(served.body.toString()).toContain('Sealdrop for journalists');
  };
  // Tor's own verdict on the descriptor (SOCKS extended replies), not just any failure: an onion
  // that is down or not published answers 0xF0/0xF2/0xF3/0xF7 or nothing, and fails these.
  const refusal = async (socksPort: number) => replyName(await onionReply(socksPort, journalistUrl(), { deadlineMs: 45_000 }));

  test("refuses a client without an access key and serves one with it; once a journalist is disabled, their key no longer opens it and another journalist's still does", async () => {
    const keyless = await network.startClient();
    const holder = await network.startClient({ onionAuth: [accessLine] });
    try {
      await opens(holder.socksPort);
      expect(await refusal(keyless.socksPort)).toBe(replyName(MISSING_CLIENT_AUTH));
    } finally {
      await Promise.all([keyless.stop(), holder.stop()]);
    }
    expect((await sealdrop(['journalist', 'disable', '--data', path.join(work, 'data'), '--username', 'ana'])).code).toBe(0);
    // Fresh clients (no cached descriptor), on the same network: ana's revoked key, and bea's.
    const [revoked, other] = await Promise.all([network.startClient({ onionAuth: [accessLine] }), network.startClient({ onionAuth: [beaAccessLine] })]);
    try {
      await Promise.all([
        (async () => expect(await refusal(revoked.socksPort)).toBe(replyName(WRONG_CLIENT_AUTH)))(),
        opens(other.socksPort),
      ]);
    } finally {
      await Promise.all([revoked.stop(), other.stop()]);
    }
  });
});

describe('16 MiB through the private Tor network', () => {
  test('the plain form post arrives whole through tor as on loopback (times logged, not asserted)', async () => {
    const boundary = `----sealdrop${randomBytes(8).toString('hex')}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`),
      randomBytes(16 * 1024 * 1024),
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) };
    // Sources need an active journalist: bea still is, after the test above disabled ana.
    const timed = async (send: () => Promise<{ status: number; body: string }>) => {
      const started = Date.now();
      const answer = await send();
      expect(answer.status, answer.body.slice(0, 300)).toBe(200);
      expect(answer.body).toContain('id="codename"');
      return (Date.now() - started) / 1000;
    };
    const viaTor = await timed(async () => {
      const res = await fetchViaTor(network.socksPort, `http://${server.sourceOnion}/submit`, { method: 'POST', body, headers, deadlineMs: 120_000 });
      return { status: res.status, body: res.body.toString() };
    });
    const loopback = await timed(async () => {
      const res = await fetch(`${server.sourceUrl}/submit`, { method: 'POST', body, headers: { 'content-type': headers['content-type'] } });
      return { status: res.status, body: await res.text() };
    });
    console.log(JSON.stringify({ name: 'tor_upload_16mib', torSeconds: viaTor, loopbackSeconds: loopback, ratio: Math.round((viaTor / loopback) * 100) / 100 }));
  });
});
