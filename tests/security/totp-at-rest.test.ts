import Database from 'better-sqlite3';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { base32Decode, currentStep, totpCode } from '../../server/auth/totp.ts';
import { serve, type Running } from '../../server/serve.ts';
import { openStore, TotpKeyError, type Store } from '../../server/store/index.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { sealdrop } from '../helpers/cli.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { StaffClient } from '../helpers/staff-client.ts';

// Threat: the data disk is seized (or a backup of the database leaks). Journalists' second factor
// must not come with it: TOTP secrets are sealed under a key held outside the database.
let instance: Instance;
let secret: string;
const passphrase = 'she files copy before the night train';
const dbFile = () => path.join(instance.config.dataDir, 'sealdrop.sqlite');

/** Every encoding of the secret a seized database could show. */
function forms(base32: string): string[] {
  const raw = base32Decode(base32);
  return [base32, base32.toLowerCase(), raw.toString('hex'), raw.toString('base64'), raw.toString('base64url')];
}

async function assertNoSecretAtRest(base32: string): Promise<void> {
  const rows = JSON.stringify(instance.rows());
  for (const form of forms(base32)) expect(rows).not.toContain(form);
  expect(await findBytes([instance.config.dataDir], forms(base32))).toEqual([]);
  expect((await readFile(dbFile())).includes(base32Decode(base32))).toBe(false);
}

/** Enrols through the real web page, as a new journalist does; returns the TOTP secret offered. */
async function enrolOnTheWeb(username: string): Promise<string> {
  const key = await readJournalistKey((await generateKeyPair({ name: username })).publicKey);
  const j = instance.store.journalists.add({ username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
  const link = `/enrol/${instance.store.journalists.createEnrolment(j.id)}`;
  const c = new StaffClient(instance.journalistUrl);
  const shown = /id="totp-secret"[^>]*>([A-Z2-7 ]+)</.exec(await (await c.get(link)).text())![1]!.replace(/ /g, '');
  const res = await c.post(link, { csrf: c.csrf, passphrase, passphrase2: passphrase, code: totpCode(shown, currentStep()) });
  expect(res.status).toBe(200);
  return shown;
}

async function logsIn(url: string, username: string, base32: string, offset: number): Promise<number> {
  return (await new StaffClient(url).login(username, passphrase, totpCode(base32, currentStep() + offset))).status;
}

beforeAll(async () => {
  instance = await startInstance();
  secret = await enrolOnTheWeb('jo');
});
afterAll(() => instance?.stop());

test('after enrolment the database holds no TOTP secret, and login with TOTP still works', async () => {
  await assertNoSecretAtRest(secret);
  expect(await logsIn(instance.journalistUrl, 'jo', secret, 1)).toBe(303);
  const keyFile = path.join(instance.config.dataDir, 'secret.key');
  expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
});

test('a sealed secret is bound to its journalist: copied to another row it does not open', async () => {
  const other = await enrolOnTheWeb('ana');
  await assertNoSecretAtRest(other);
  const raw = new Database(dbFile());
  const stolen = (raw.prepare("SELECT totp_secret FROM journalists WHERE username = 'jo'").get() as { totp_secret: string }).totp_secret;
  const own = (raw.prepare("SELECT totp_secret FROM journalists WHERE username = 'ana'").get() as { totp_secret: string }).totp_secret;
  raw.prepare("UPDATE journalists SET totp_secret = ? WHERE username = 'ana'").run(stolen);
  const ana = instance.store.journalists.get('ana');
  expect(() => instance.store.journalists.credentials(ana.id)).toThrow(TotpKeyError);
  raw.prepare("UPDATE journalists SET totp_secret = ? WHERE username = 'ana'").run(own);
  raw.close();
  expect(instance.store.journalists.credentials(ana.id).totpSecret).toBe(other);
});

/** The same data directory served again, with the given key file. */
async function restart(keyFile?: string): Promise<{ store: Store; running: Running; url: string }> {
  const store = openStore(instance.config.dataDir, keyFile ? { keyFile } : {});
  const running = await serve(instance.config, store);
  return { store, running, url: `http://127.0.0.1:${(running.journalist.address() as { port: number }).port}` };
}

test('with a different or missing key file the store refuses to open, naming the file, and changes nothing', async () => {
  await instance.running.close();
  instance.store.close();
  const work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-key-'));
  try {
    const before = JSON.stringify(instance.rows());
    const wrong = path.join(work, 'wrong.key');
    await writeFile(wrong, randomBytes(32), { mode: 0o600 });
    expect(() => openStore(instance.config.dataDir, { keyFile: wrong })).toThrow(TotpKeyError);
    expect(() => openStore(instance.config.dataDir, { keyFile: wrong })).toThrow(/wrong\.key.*not the key/);
    const short = path.join(work, 'short.key');
    await writeFile(short, 'too short\n');
    expect(() => openStore(instance.config.dataDir, { keyFile: short })).toThrow(/short\.key must hold 32 random bytes/);
    const missing = path.join(work, 'missing.key');
    expect(() => openStore(instance.config.dataDir, { keyFile: missing })).toThrow(/missing\.key.*missing/);
    const cli = await sealdrop(['journalist', 'list', '--data', instance.config.dataDir], { SEALDROP_KEY_FILE: wrong });
    expect(cli.code).toBe(1);
    expect(cli.stderr).toMatch(/wrong\.key/);
    expect(JSON.stringify(instance.rows())).toBe(before);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
  // With the right key file (the default one beside the database) login works again.
  const again = await restart();
  instance.store = again.store;
  instance.running = again.running;
  expect(await logsIn(again.url, 'jo', secret, 1)).toBe(303);
});

test('secrets stored in plaintext by an older Sealdrop are sealed on open, and still log in', async () => {
  await instance.running.close();
  instance.store.close();
  const legacy = 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP';
  const raw = new Database(dbFile());
  raw.pragma('secure_delete = ON');
  raw.prepare("UPDATE journalists SET totp_secret = ? WHERE username = 'jo'").run(legacy);
  raw.close();
  const again = await restart();
  instance.store = again.store;
  instance.running = again.running;
  await assertNoSecretAtRest(legacy);
  expect(await logsIn(again.url, 'jo', legacy, 1)).toBe(303);
});
