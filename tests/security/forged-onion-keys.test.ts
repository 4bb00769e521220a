import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { writeBackup } from '../../server/cli/backup.ts';
import { loadConfig } from '../../server/config.ts';
import { serve } from '../../server/serve.ts';
import { openStore } from '../../server/store/index.ts';
import { TOR_BINARY } from '../../server/tor/process.ts';
import { addressOf } from '../../server/tor/services.ts';
import { sealdrop } from '../helpers/cli.ts';
import { until } from '../helpers/pages.ts';

// Threat: a forged, tampered or mixed-up tor folder in a data directory (or a backup restored into
// one). Tor publishes a service under the key in `hs_ed25519_secret_key`; if Sealdrop read the
// address from `hs_ed25519_public_key` or `hostname`, those files could make it print (to the
// administrator, on the admin page with its QR code, in Onion-Location, in `sealdrop onion
// --torrc-only`, after a restore) an address the newsroom does not control. Every key here is
// made by tor itself, so the derivation is checked against tor's, not against our own code.

const SERVICES = ['a', 'b', 'unclamped'] as const;
let work: string;
let tor: Record<(typeof SERVICES)[number], string>; // tor's own service directories
const hostnameOf = (dir: string) => readFileSync(path.join(dir, 'hostname'), 'utf8').trim();

/** Runs tor (network off) on three service directories until it has written every hostname. */
async function torMakesKeys(root: string): Promise<void> {
  const lines = ['SocksPort 0', 'DisableNetwork 1', `DataDirectory ${path.join(root, 'state')}`, 'Log notice file /dev/null'];
  for (const s of SERVICES) lines.push(`HiddenServiceDir ${path.join(root, s)}`, 'HiddenServicePort 80 127.0.0.1:9');
  writeFileSync(path.join(root, 'torrc'), `${lines.join('\n')}\n`);
  const child = spawn(TOR_BINARY, ['-f', path.join(root, 'torrc')], { stdio: 'ignore' });
  const closed = new Promise((r) => child.once('close', r));
  try {
    await until(() => SERVICES.every((s) => existsSync(path.join(root, s, 'hostname'))) || child.exitCode !== null, 10_000, 'tor to write its keys');
  } finally {
    child.kill('SIGTERM');
    await closed;
  }
}

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-onion-keys-'));
  const root = path.join(work, 'tor-made');
  tor = Object.fromEntries(SERVICES.map((s) => [s, path.join(root, s)])) as typeof tor;
  // A secret key whose scalar is not clamped (as vanity-address tools make): tor derives the
  // public key and hostname from it itself, so our derivation must follow tor's, not the RFC's.
  mkdirSync(tor.unclamped, { recursive: true, mode: 0o700 });
  const expanded = randomBytes(64);
  expanded[0]! |= 7;
  expanded[31]! |= 0x80;
  writeFileSync(path.join(tor.unclamped, 'hs_ed25519_secret_key'), Buffer.concat([header('== ed25519v1-secret: type0 =='), expanded]), { mode: 0o600 });
  await torMakesKeys(root);
  writeFileSync(path.join(work, 'offline.torrc'), 'DisableNetwork 1\n');
});
afterAll(() => rm(work, { recursive: true, force: true }));

function header(text: string): Buffer {
  return Buffer.concat([Buffer.from(text), Buffer.alloc(32 - text.length)]);
}

let n = 0;
/** A data directory whose source service is tor's service A, then altered by `alter`. */
function dataDir(alter: (source: string) => void = () => undefined): string {
  const data = path.join(work, `data-${++n}`);
  mkdirSync(path.join(data, 'tor'), { recursive: true, mode: 0o700 });
  cpSync(tor.a, path.join(data, 'tor/source'), { recursive: true });
  alter(path.join(data, 'tor/source'));
  return data;
}
/** Service B's public key and hostname in A's folder: tor still publishes A. */
const swapped = (dir: string) => ['hs_ed25519_public_key', 'hostname'].forEach((f) => cpSync(path.join(tor.b, f), path.join(dir, f)));

describe('the address is the one tor publishes: derived from the secret key', () => {
  test('a genuine tor-made folder gives tor\'s own hostname, even with only its secret key (clamped or not)', () => {
    expect(new Set(SERVICES.map((s) => hostnameOf(tor[s]))).size).toBe(3);
    for (const s of SERVICES) {
      const data = dataDir((dir) => {
        rmSync(dir, { recursive: true });
        cpSync(tor[s], dir, { recursive: true });
      });
      expect(addressOf(data, 'source')).toBe(hostnameOf(tor[s]));
      for (const f of ['hs_ed25519_public_key', 'hostname']) rmSync(path.join(data, 'tor/source', f));
      expect(addressOf(data, 'source')).toBe(hostnameOf(tor[s]));
    }
  });

  test('another service\'s public key and hostname beside the secret key are refused', () => {
    expect(() => addressOf(dataDir(swapped), 'source')).toThrow(expect.objectContaining({ name: 'OnionKeyError', code: 'public_key_mismatch' }));
    // The hostname file alone is what administrators read: it must not lie either.
    const hostnameOnly = dataDir((dir) => cpSync(path.join(tor.b, 'hostname'), path.join(dir, 'hostname')));
    expect(() => addressOf(hostnameOnly, 'source')).toThrow(expect.objectContaining({ code: 'hostname_mismatch', message: expect.stringMatching(/hostname does not name the address of hs_ed25519_secret_key/) }));
    // An address without the secret key behind it: tor would make a new key and publish another.
    const noSecret = dataDir((dir) => rmSync(path.join(dir, 'hs_ed25519_secret_key')));
    expect(() => addressOf(noSecret, 'source')).toThrow(expect.objectContaining({ code: 'secret_key_missing' }));
  });

  test('a truncated, padded or wrongly headed secret key file is refused', () => {
    const secret = readFileSync(path.join(tor.a, 'hs_ed25519_secret_key'));
    const bad = [
      secret.subarray(0, 95), // cut short
      Buffer.concat([secret, Buffer.from([0])]), // trailing byte: tor reads exactly 96
      Buffer.concat([header('== ed25519v1-public: type0 =='), secret.subarray(32)]),
      Buffer.concat([header('== ed25519v1-secret: type1 =='), secret.subarray(32)]),
      Buffer.concat([Buffer.from('== ed25519v1-secret: type0 ==   '), secret.subarray(32)]), // spaces, not NULs
      Buffer.concat([secret.subarray(0, 32), Buffer.alloc(64)]), // a zero scalar
    ];
    for (const file of bad) {
      const data = dataDir((dir) => writeFileSync(path.join(dir, 'hs_ed25519_secret_key'), file));
      expect(() => addressOf(data, 'source')).toThrow(expect.objectContaining({ code: 'secret_key_malformed' }));
    }
    const badPublic = dataDir((dir) => writeFileSync(path.join(dir, 'hs_ed25519_public_key'), readFileSync(path.join(dir, 'hs_ed25519_public_key')).subarray(0, 63)));
    expect(() => addressOf(badPublic, 'source')).toThrow(expect.objectContaining({ code: 'public_key_malformed' }));
  });
});

describe('nothing advertises a forged address', () => {
  test('a folder naming an address without its secret key is refused at start and by `sealdrop onion`, never given a new identity', async () => {
    // A new key would silently move the drop to a new address: every source's bookmark would die.
    const { ensureService } = await import('../../server/tor/services.ts');
    const kept = { both: ['hs_ed25519_public_key', 'hostname'], hostname: ['hostname'], public: ['hs_ed25519_public_key'] };
    for (const files of Object.values(kept)) {
      const data = dataDir((dir) => ['hs_ed25519_secret_key', 'hs_ed25519_public_key', 'hostname'].filter((f) => !files.includes(f)).forEach((f) => rmSync(path.join(dir, f))));
      const before = files.map((f) => readFileSync(path.join(data, 'tor/source', f)));
      expect(() => ensureService(data, 'source')).toThrow(expect.objectContaining({ name: 'OnionKeyError', code: 'secret_key_missing' }));
      expect(existsSync(path.join(data, 'tor/source/hs_ed25519_secret_key'))).toBe(false);
      files.forEach((f, i) => expect(readFileSync(path.join(data, 'tor/source', f)).equals(before[i]!)).toBe(true));
    }
    const data = dataDir((dir) => rmSync(path.join(dir, 'hs_ed25519_secret_key')));
    const result = await sealdrop(['onion', '--torrc-only', '--out', path.join(work, 'no-secret'), '--data', data]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/names an onion address but holds no hs_ed25519_secret_key/);
    expect(existsSync(path.join(data, 'tor/source/hs_ed25519_secret_key'))).toBe(false);
    expect(hostnameOf(path.join(data, 'tor/source'))).toBe(hostnameOf(tor.a));
    // An empty folder (or none) is still given its identity once.
    const fresh = path.join(work, `data-${++n}`);
    const address = ensureService(fresh, 'source');
    expect(ensureService(fresh, 'source')).toBe(address);
    expect(hostnameOf(path.join(fresh, 'tor/source'))).toBe(address);
  });

  test('`sealdrop onion --torrc-only` fails, prints neither address and writes nothing', async () => {
    const data = dataDir(swapped);
    const out = path.join(work, 'system');
    const result = await sealdrop(['onion', '--torrc-only', '--out', out, '--data', data]);
    for (const s of ['a', 'b'] as const) expect(result.stdout).not.toContain(hostnameOf(tor[s]));
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/hs_ed25519_public_key is not the public half of hs_ed25519_secret_key/);
    expect(existsSync(out)).toBe(false);
  });

  test('the server does not start: neither for a system tor (admin page, Onion-Location) nor with its own tor', async () => {
    for (const env of [{}, { SEALDROP_TOR: '1', SEALDROP_TOR_TORRC: 'OFFLINE' }]) {
      const data = dataDir(swapped);
      const tor = env.SEALDROP_TOR ? { ...env, SEALDROP_TOR_TORRC: path.join(work, 'offline.torrc') } : env;
      const config = loadConfig({ SEALDROP_DATA: data, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', ...tor });
      const store = openStore(data);
      try {
        const started = serve(config, store);
        await started.then((running) => running.close(), () => undefined);
        await expect(started).rejects.toMatchObject({ name: 'OnionKeyError', code: 'public_key_mismatch' });
        expect(existsSync(path.join(data, 'tor/torrc'))).toBe(false); // tor was never started
      } finally {
        store.close();
      }
    }
  });

  test('`sealdrop restore` of a backup carrying such a folder refuses, prints neither address and leaves nothing', async () => {
    // The backup need not be forged with any secret: Sealdrop's own backup code, sealed to the
    // newsroom's public key, of a data directory whose tor folder was altered.
    const pair = await generateKeyPair({ name: 'Jo Newsroom' });
    const newsroom = await readJournalistKey(pair.publicKey);
    const secret = path.join(work, 'jo-secret.asc');
    writeFileSync(secret, pair.privateKey);
    const data = dataDir(swapped);
    const store = openStore(data);
    const backup = path.join(work, 'forged.backup');
    try {
      store.journalists.add({ username: 'jo', fingerprint: newsroom.fingerprint, recipientKeyId: newsroom.recipientKeyId, publicKey: newsroom.armored, isAdmin: true });
      expect((await writeBackup(store, data, backup, [newsroom.key])).onion).toBe(true);
    } finally {
      store.close();
    }
    const digest = createHash('sha256').update(readFileSync(backup)).digest('hex');
    const target = path.join(work, 'restored');
    const result = await sealdrop(['restore', '--in', backup, '--sha256', digest, '--key', secret, '--data', target]);
    for (const s of ['a', 'b'] as const) expect(result.stdout).not.toContain(hostnameOf(tor[s]));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/hs_ed25519_public_key is not the public half of hs_ed25519_secret_key/);
    expect(existsSync(target)).toBe(false);
  });
});
