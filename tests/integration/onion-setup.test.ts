import { execFile, spawn } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { base32 } from '../../server/tor/keys.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startOnionServer } from '../helpers/onion-server.ts';
import { until } from '../helpers/pages.ts';

// `sealdrop onion` with the real tor, its network switched off: what an administrator's machine
// holds (keys, torrc, client lists) is checked here; tests/tor/ reaches it over a Tor network.
const run = promisify(execFile);
let work: string;
let data: string;
let offline: string;
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-onion-'));
  data = path.join(work, 'data');
  offline = path.join(work, 'offline.torrc');
  await writeFile(offline, `DisableNetwork 1\nLog notice file ${path.join(work, 'tor.log')}\n`);
});
afterAll(() => rm(work, { recursive: true, force: true }));

const authFiles = () => readdirSync(path.join(data, 'tor/journalist/authorized_clients')).sort();
const authKeys = () => authFiles().map((f) => readFileSync(path.join(data, 'tor/journalist/authorized_clients', f), 'utf8').trim());
// What tor derives from the journalist's half: the server's file must hold exactly this
// (base32 itself is pinned to RFC 4648's vectors in tests/unit/tor/keys.test.ts).
const x25519Public = (privateBase32: string): string => {
  const bits = [...privateBase32.toLowerCase()].map((c) => 'abcdefghijklmnopqrstuvwxyz234567'.indexOf(c).toString(2).padStart(5, '0')).join('');
  const d = Buffer.from(bits.match(/.{8}/g)!.slice(0, 32).map((b) => parseInt(b, 2)));
  const pkcs8 = Buffer.concat([Buffer.from('302e020100300506032b656e04220420', 'hex'), d]);
  const x = createPublicKey(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' })).export({ format: 'jwk' }).x!;
  return base32(Buffer.from(x, 'base64url')).toUpperCase();
};

describe('sealdrop onion, offline', () => {
  test('first start: both addresses, a setup key in authorized_clients, tor running on our keys, 0700 everywhere', async () => {
    const server = await startOnionServer(data, { torrc: offline });
    try {
      expect(server.sourceOnion).toMatch(/^[a-z2-7]{56}\.onion$/);
      expect(server.journalistOnion).toMatch(/^[a-z2-7]{56}\.onion$/);
      expect(server.setupLink).toMatch(new RegExp(`^http://${server.journalistOnion}/setup/[\\w-]{32}$`));
      const [address, , , key] = server.setupAuth!.split(':');
      expect(address).toBe(server.journalistOnion.slice(0, 56));
      expect(authKeys()).toEqual([`descriptor:x25519:${x25519Public(key!)}`]);
      // The listeners are on loopback; tor is the way in.
      expect(server.sourceUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      for (const dir of ['tor', 'tor/source', 'tor/journalist', 'tor/journalist/authorized_clients']) expect(statSync(path.join(data, dir)).mode & 0o777).toBe(0o700);
      const torrc = await readFile(path.join(data, 'tor/torrc'), 'utf8');
      expect(torrc).toMatch(/^SocksPort 0$/m);
      expect(torrc).toMatch(/^HiddenServicePoWDefensesEnabled 1$/m);
      expect(torrc).toContain(`HiddenServicePort 80 ${server.sourceUrl.slice(7)}`);
      expect(torrc).toContain(`HiddenServicePort 80 ${server.journalistUrl.slice(7)}`);
      const verified = await run('/usr/sbin/tor', ['--verify-config', '-f', path.join(data, 'tor/torrc')]);
      expect(verified.stdout).toMatch(/Configuration was valid/);
      // The private half was printed once and is kept nowhere in the data directory.
      await expect(sealdrop(['journalist', 'list', '--data', data])).resolves.toMatchObject({ code: 0 });
      const everything = readAll(data);
      expect(everything.includes(key!)).toBe(false);
      expect(everything.includes(key!.toLowerCase())).toBe(false);
      // tor itself is running with this torrc (and will exit with its owner).
      const pid = Number(await readFile(path.join(data, 'tor/tor.pid'), 'utf8'));
      expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toContain(path.join(data, 'tor/torrc'));
    } finally {
      await server.stop();
    }
  });

  test('journalists added, disabled and removed with the CLI: tor keeps exactly the active ones, and the addresses stay', async () => {
    const keyFile = path.join(work, 'jo.asc');
    await writeFile(keyFile, (await generateKeyPair({ name: 'Jo' })).publicKey);
    const before = await readFile(path.join(data, 'tor/journalist/hostname'), 'utf8');
    const added = await sealdrop(['journalist', 'add', '--data', data, '--username', 'jo', '--public-key', keyFile, '--admin']);
    expect(added.code, added.stderr).toBe(0);
    const line = /^\s+(\S+:descriptor:x25519:([A-Z2-7]{52}))$/m.exec(added.stdout)!;
    expect(added.stdout).toContain(`http://${before.trim()}/enrol/`);
    // The setup key went with the setup link (memory only); jo's key is now the only one.
    expect(authKeys()).toEqual([`descriptor:x25519:${x25519Public(line[2]!)}`]);
    // tor rewrites a missing hostname file from the secret key: it must name the address Sealdrop computed.
    await rm(path.join(data, 'tor/journalist/hostname'));
    const server = await startOnionServer(data, { torrc: offline });
    try {
      expect(server.journalistOnion).toBe(before.trim());
      await until(() => statSync(path.join(data, 'tor/journalist/hostname'), { throwIfNoEntry: false }) !== undefined, 10_000, 'tor to write the hostname');
      expect(await readFile(path.join(data, 'tor/journalist/hostname'), 'utf8')).toBe(before);
      expect(server.setupLink).toBeNull();
      const pid = Number(await readFile(path.join(data, 'tor/tor.pid'), 'utf8'));
      const hups = await hupsSeen(pid, async () => {
        expect((await sealdrop(['journalist', 'disable', '--data', data, '--username', 'jo'])).code).toBe(0);
      });
      // Nobody enabled: a key whose private half was never kept, never an open service.
      expect(authFiles()).toEqual(['nobody.auth']);
      expect(authKeys()[0]).not.toContain(x25519Public(line[2]!));
      expect(hups).toBe(true);
      expect((await sealdrop(['journalist', 'enable', '--data', data, '--username', 'jo'])).code).toBe(0);
      expect(authKeys()).toEqual([`descriptor:x25519:${x25519Public(line[2]!)}`]);
      const renewed = await sealdrop(['journalist', 'access', '--data', data, '--username', 'jo']);
      const fresh = /descriptor:x25519:([A-Z2-7]{52})$/m.exec(renewed.stdout)![1]!;
      expect(authKeys()).toEqual([`descriptor:x25519:${x25519Public(fresh)}`]);
      expect((await sealdrop(['journalist', 'remove', '--data', data, '--username', 'jo'])).code).toBe(0);
      expect(authFiles()).toEqual(['nobody.auth']);
    } finally {
      await server.stop();
    }
    expect(await readFile(path.join(data, 'tor/source/hostname'), 'utf8')).toBe(`${server.sourceOnion}\n`);
  });

  test('--torrc-only writes a fragment and key copies for a system tor, and the install commands', async () => {
    const out = path.join(work, 'system');
    const result = await sealdrop(['onion', '--torrc-only', '--out', out, '--data', data]);
    expect(result.code, result.stderr).toBe(0);
    const fragment = await readFile(path.join(out, 'sealdrop.torrc'), 'utf8');
    expect(fragment).toContain('HiddenServiceDir "/var/lib/tor/sealdrop-source"');
    expect(fragment).toMatch(/^HiddenServicePoWDefensesEnabled 1$/m);
    expect(fragment).not.toMatch(/SocksPort|DataDirectory/);
    for (const s of ['source', 'journalist']) {
      expect(await readFile(path.join(out, `sealdrop-${s}/hs_ed25519_secret_key`))).toEqual(await readFile(path.join(data, `tor/${s}/hs_ed25519_secret_key`)));
    }
    expect(result.stdout).toContain('%include /etc/tor/sealdrop.torrc');
    expect(result.stdout).toMatch(/systemctl reload tor/);
    // The same fragment, pointed at a scratch directory, is a configuration tor accepts.
    const scratch = fragment.replaceAll('/var/lib/tor', out);
    await writeFile(path.join(out, 'check.torrc'), `DataDirectory ${path.join(out, 'state')}\nSocksPort 0\n${scratch}`);
    const verified = await run('/usr/sbin/tor', ['--verify-config', '-f', path.join(out, 'check.torrc')]);
    expect(verified.stdout).toMatch(/Configuration was valid/);
  });
});

test('under a read-only application directory (ProtectSystem=strict), the bundle built at install time is served', async () => {
  const app = path.resolve('client/public');
  const bin = path.resolve('bin/sealdrop.js');
  // A private mount namespace makes the bundle's directory read-only for this child alone.
  const script = `mount --bind ${app} ${app} && mount -o remount,ro,bind ${app} && exec ${process.execPath} ${bin} onion --data ${data}`;
  const child = spawn('unshare', ['-m', 'sh', '-c', script], { env: { ...process.env, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', SEALDROP_TOR_TORRC: offline }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    await until(() => /Data directory:/.test(out) || child.exitCode !== null, 60_000, 'the server to start');
    expect(out).toMatch(/read-only: serving the page scripts built at install time/);
    const url = /source interface:\s+(http:\S+)/.exec(out)![1]!;
    expect((await fetch(`${url}static/js/source.js`)).status).toBe(200);
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
  }
});

function readAll(dir: string): string {
  let text = '';
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) text += readFileSync(path.join(entry.parentPath, entry.name)).toString('latin1');
  }
  return text;
}

/** Whether tor logged a reload (SIGHUP) while `act` ran, and stayed up. */
async function hupsSeen(pid: number, act: () => Promise<void>): Promise<boolean> {
  const reloads = () => (readFileSync(path.join(work, 'tor.log'), 'utf8').match(/Received reload signal/g) ?? []).length;
  const before = reloads();
  await act();
  await until(() => reloads() > before, 5000, 'tor to reload its client list');
  return statSync(`/proc/${pid}`).isDirectory();
}
