import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, openManifest, openSubmission, readJournalistKey, readPrivateKey, sealFile, SubmissionSealer } from '../../common/envelope/index.ts';
import { newTotpSecret } from '../../server/auth/totp.ts';
import { BACKUP_PART_SIZE, entryHeader, EntryParser, framed, MAGIC, trailer } from '../../server/cli/backup-format.ts';
import { BackupReader } from '../../server/cli/backup-reader.ts';
import { openStore } from '../../server/store/index.ts';
import { sealdrop, type CliResult } from '../helpers/cli.ts';

// Threats: a backup is a master key (one ordinary journalist's private key, or a seized laptop
// with a backup copy, opens every colleague's TOTP secret and passphrase hash); a restore whose
// digest check is skipped takes a forged file; a restore brings the drop back at new onion
// addresses, so every source's bookmark is dead. All through the real `sealdrop` command.
let work: string;
let data: string;
const keys: Record<'ada' | 'nik' | 'vault', { pub: string; priv: string }> = {} as never;
const totp = { ada: newTotpSecret(), nik: newTotpSecret() };
let backup: string;
let digest: string;
let backupRun: CliResult;
// Made before anyone enrolled, so that it restores with the same command on every version.
let early: { file: string; digest: string; addresses: string[] };

/** The CLI under umask 000, as on a host whose administrator loosened it: modes must not follow it. */
const loose = (args: string[]): Promise<CliResult> => sealdrop(args, {}, '000');

/** Decrypts a backup file with one private key, as its holder could, and returns every entry in it. */
async function entriesOf(file: string, armored: string): Promise<Map<string, Buffer>> {
  const key = await readPrivateKey(armored);
  const reader = await BackupReader.open(file, BACKUP_PART_SIZE + 1024 * 1024);
  const entries = new Map<string, Buffer>();
  let current = '';
  try {
    const manifest = await openManifest({ data: reader.manifest, keys: [key] });
    const parser = new EntryParser({
      begin: async (name) => void entries.set((current = name), Buffer.alloc(0)),
      write: async (b) => void entries.set(current, Buffer.concat([entries.get(current)!, b])),
    });
    await openSubmission({ manifest, keys: [key], readPart: () => reader.nextPart(), write: (b) => parser.push(b) });
  } finally {
    await reader.close();
  }
  return entries;
}

/** A backup as an older Sealdrop made it (the key file inside), sealed to one public key. */
async function sealLegacy(entries: Map<string, Buffer>, publicKeyFile: string): Promise<Buffer> {
  const stream = Buffer.concat([...entries].flatMap(([name, bytes]) => [entryHeader(name, bytes.length), bytes]));
  const recipients = [(await readJournalistKey(await readFile(publicKeyFile, 'utf8'))).key];
  const sealer = new SubmissionSealer({ submission: 'a'.repeat(32), name: 'sealdrop-backup', type: 'application/x-sealdrop-backup', recipients, partSize: BACKUP_PART_SIZE });
  const out: Buffer[] = [MAGIC];
  for await (const part of sealFile(sealer, stream.length, async (a, b) => stream.subarray(a, b))) out.push(...framed(part));
  const manifest = await sealer.sealManifest();
  return Buffer.concat([...out, ...framed(manifest), trailer(manifest.length)]);
}

/** Every file under DATA/tor/<service>/ that carries an address or its client list, relative to DATA. */
async function torFiles(dir: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  for (const service of ['source', 'journalist']) {
    for (const name of ['hs_ed25519_secret_key', 'hs_ed25519_public_key', 'hostname']) out.set(`tor/${service}/${name}`, await readFile(path.join(dir, 'tor', service, name)));
  }
  const clients = path.join(dir, 'tor/journalist/authorized_clients');
  for (const name of await readdir(clients)) out.set(`tor/journalist/authorized_clients/${name}`, await readFile(path.join(clients, name)));
  return out;
}

const mode = async (file: string) => (await stat(file)).mode & 0o777;
const addresses = (stdout: string) => stdout.split('\n').filter((l) => /^(Source|Journalist) address:/.test(l));

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-backup-exposure-'));
  data = path.join(work, 'data');
  for (const name of ['ada', 'nik', 'vault'] as const) {
    const pair = await generateKeyPair({ name });
    keys[name] = { pub: path.join(work, `${name}.pub.asc`), priv: path.join(work, `${name}.asc`) };
    await writeFile(keys[name].pub, pair.publicKey);
    await writeFile(keys[name].priv, pair.privateKey);
  }
  // Onion services first, so each journalist gets an access key (tor's authorised-client list).
  const onion = await sealdrop(['onion', '--torrc-only', '--out', path.join(work, 'torrc'), '--data', data]);
  expect(onion.code).toBe(0);
  expect((await sealdrop(['journalist', 'add', '--data', data, '--username', 'ada', '--admin', '--public-key', keys.ada.pub])).code).toBe(0);
  expect((await sealdrop(['journalist', 'add', '--data', data, '--username', 'nik', '--public-key', keys.nik.pub])).code).toBe(0);
  const earlyRun = await sealdrop(['backup', '--data', data, '--out', path.join(work, 'early.backup')]);
  expect(earlyRun.code, earlyRun.stderr).toBe(0);
  early = { file: path.join(work, 'early.backup'), digest: /^SHA-256: ([0-9a-f]{64})$/m.exec(earlyRun.stdout)![1]!, addresses: addresses(onion.stdout) };
  const store = openStore(data, { keyFile: path.join(data, 'secret.key') });
  try {
    for (const name of ['ada', 'nik'] as const) store.journalists.setCredentials(store.journalists.get(name).id, { passwordHash: `$argon2id$stand-in-${name}`, totpSecret: totp[name] });
  } finally {
    store.close();
  }
  backup = path.join(work, 'drop.backup');
  backupRun = await loose(['backup', '--data', data, '--out', backup]);
  expect(backupRun.code, backupRun.stderr).toBe(0);
  digest = /^SHA-256: ([0-9a-f]{64})$/m.exec(backupRun.stdout)![1]!;
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

describe('a backup is not a master key', () => {
  test('an ordinary journalist\'s key cannot open the default backup; an administrator\'s can, and the output says who and what', async () => {
    await expect(entriesOf(backup, await readFile(keys.nik.priv, 'utf8'))).rejects.toThrow();
    expect((await entriesOf(backup, await readFile(keys.ada.priv, 'utf8'))).has('sealdrop.sqlite')).toBe(true);
    expect(backupRun.stdout).toMatch(/This file holds: .*Argon2id passphrase hash/);
    expect(backupRun.stdout).toMatch(/Anyone with the private key of one of these can read all of it:\n {2}ada \(admin\) [0-9A-F]{40}\n/);
    expect(backupRun.stdout).not.toMatch(/nik/);
    expect(await mode(backup)).toBe(0o600); // under umask 000
    // The digest printed is of the bytes written (hashed as they went out, not read back by path).
    expect(digest).toBe(createHash('sha256').update(await readFile(backup)).digest('hex'));
  });

  test('the default backup holds no key file, but does hold both onion services\' keys and the client list', async () => {
    const entries = await entriesOf(backup, await readFile(keys.ada.priv, 'utf8'));
    const keyFile = await readFile(path.join(data, 'secret.key'));
    expect([...entries.keys()]).not.toContain('secret.key');
    for (const [name, bytes] of entries) expect(bytes.includes(keyFile), name).toBe(false);
    for (const [name, bytes] of await torFiles(data)) expect(entries.get(name)?.equals(bytes), name).toBe(true);
  });

  test('--to seals a backup to that key alone', async () => {
    const vaultBackup = path.join(work, 'vault.backup');
    const made = await sealdrop(['backup', '--data', data, '--out', vaultBackup, '--to', keys.vault.pub]);
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/can read all of it:\n {2}vault\.pub\.asc [0-9A-F]{40}\n/);
    await expect(entriesOf(vaultBackup, await readFile(keys.ada.priv, 'utf8'))).rejects.toThrow();
    expect((await entriesOf(vaultBackup, await readFile(keys.vault.priv, 'utf8'))).has('sealdrop.sqlite')).toBe(true);
  });
});

describe('restore', () => {
  test('without --sha256 it is refused and changes nothing', async () => {
    const target = path.join(work, 'unchecked');
    const res = await sealdrop(['restore', '--in', backup, '--key', keys.ada.priv, '--data', target]);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/--sha256 is required/);
    expect((await readdir(work)).filter((f) => f.startsWith('unchecked'))).toEqual([]);
  });

  test('both onion addresses, and the journalist onion\'s client list, come back byte for byte, private whatever the umask', async () => {
    const target = path.join(work, 'same-address');
    const res = await loose(['restore', '--in', early.file, '--sha256', early.digest, '--key', keys.ada.priv, '--data', target]);
    expect(res.code, res.stderr).toBe(0);
    expect(await mode(target)).toBe(0o700);
    for (const [name, bytes] of await torFiles(data)) {
      expect((await readFile(path.join(target, name))).equals(bytes), name).toBe(true);
      expect(await mode(path.join(target, name)), name).toBe(0o600);
    }
    for (const d of ['tor', 'tor/source', 'tor/journalist', 'tor/journalist/authorized_clients']) expect(await mode(path.join(target, d)), d).toBe(0o700);
    const after = await sealdrop(['onion', '--torrc-only', '--out', path.join(work, 'torrc-after'), '--data', target]);
    expect(early.addresses).toHaveLength(2);
    expect(addresses(after.stdout)).toEqual(early.addresses);
  });

  test('the key file has its own export, which round-trips and opens every journalist\'s TOTP secret', async () => {
    const exported = path.join(work, 'key.export');
    const made = await loose(['backup', '--key-file', '--data', data, '--out', exported, '--to', keys.vault.pub]);
    expect(made.code, made.stderr).toBe(0);
    expect(await mode(exported)).toBe(0o600);
    const inside = await entriesOf(exported, await readFile(keys.vault.priv, 'utf8'));
    expect([...inside.keys()]).toEqual(['secret.key']);
    expect(inside.get('secret.key')!.equals(await readFile(path.join(data, 'secret.key')))).toBe(true);
    // Split custody: the backup opens with an administrator's key, its key file with another.
    const target = path.join(work, 'restored');
    const res = await loose(['restore', '--in', backup, '--sha256', digest, '--key', keys.ada.priv, '--key-file-in', exported, '--key-file-key', keys.vault.priv, '--data', target]);
    expect(res.code, res.stderr).toBe(0);
    expect((await readFile(path.join(target, 'secret.key'))).equals(await readFile(path.join(data, 'secret.key')))).toBe(true);
    expect(res.stdout).toContain(`Onion address, as before the backup: source http://${(await readFile(path.join(data, 'tor/source/hostname'), 'utf8')).trim()}/`);
    for (const f of ['sealdrop.sqlite', 'secret.key']) expect(await mode(path.join(target, f)), f).toBe(0o600);
    const store = openStore(target, { keyFile: path.join(target, 'secret.key') });
    try {
      for (const name of ['ada', 'nik'] as const) expect(store.journalists.credentials(store.journalists.get(name).id).totpSecret).toBe(totp[name]);
    } finally {
      store.close();
    }
  });

  test('without the key file it refuses, and a key file that is not this drop\'s is refused; --reset-2fa leaves every journalist to enrol again', async () => {
    const target = path.join(work, 'no-key');
    const refused = await sealdrop(['restore', '--in', backup, '--sha256', digest, '--key', keys.ada.priv, '--data', target]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--key-file-in FILE[^]*--reset-2fa[^]*Nothing was restored/);
    const strangerKey = path.join(work, 'stranger.key');
    await writeFile(strangerKey, randomBytes(32));
    const stranger = await sealdrop(['restore', '--in', backup, '--sha256', digest, '--key', keys.ada.priv, '--key-file-in', strangerKey, '--data', target]);
    expect(stranger.code).toBe(2);
    expect(stranger.stderr).toMatch(/does not open this backup's TOTP secrets/);
    expect((await readdir(work)).filter((f) => f.startsWith('no-key'))).toEqual([]);
    const reset = await sealdrop(['restore', '--in', backup, '--sha256', digest, '--key', keys.ada.priv, '--reset-2fa', '--data', target]);
    expect(reset.code, reset.stderr).toBe(0);
    expect(reset.stdout).toMatch(/--reset-2fa: 2 journalist\(s\) must enrol again/);
    const store = openStore(target, { keyFile: path.join(target, 'secret.key') });
    try {
      for (const j of store.journalists.list()) expect(store.journalists.credentials(j.id), j.username).toEqual({ passwordHash: null, totpSecret: null });
      expect(store.journalists.list().map((j) => [j.username, j.enrolled])).toEqual([['ada', false], ['nik', false]]);
    } finally {
      store.close();
    }
  });

  test('a backup made by an older Sealdrop, with the key file inside, still restores whole', async () => {
    const entries = await entriesOf(backup, await readFile(keys.ada.priv, 'utf8'));
    entries.set('secret.key', await readFile(path.join(data, 'secret.key')));
    const legacy = path.join(work, 'legacy.backup');
    await writeFile(legacy, await sealLegacy(entries, keys.ada.pub));
    const sum = createHash('sha256').update(await readFile(legacy)).digest('hex');
    const target = path.join(work, 'from-legacy');
    const res = await sealdrop(['restore', '--in', legacy, '--sha256', sum, '--key', keys.ada.priv, '--data', target]);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/made by an older Sealdrop\) held its key file/);
    const store = openStore(target, { keyFile: path.join(target, 'secret.key') });
    try {
      expect(store.journalists.credentials(store.journalists.get('ada').id).totpSecret).toBe(totp.ada);
    } finally {
      store.close();
    }
  });
});
