import { randomBytes } from 'node:crypto';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, generateCodename } from '../../common/codename.ts';
import { cpuMsAsync, watchEventLoop } from '../helpers/cpu-time.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';

// Threat: a source chooses how its private key is locked (Argon2 with huge memory and passes, the
// maximum iteration count) or what else the key holds, and the server pays for it, on the event loop
// both listeners share, when the no-JS login unlocks the key. Hostile keys are made with openpgp.js
// directly: Sealdrop itself never makes them.
let instance: Instance;
let journalist: { key: openpgp.PublicKey };

beforeAll(async () => {
  instance = await startInstance();
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
  journalist = { key: (await readJournalistKey(pair.publicKey)).key };
});
afterAll(() => instance?.stop());

const PASSPHRASE = 'f'.repeat(128);
const sourceCount = () => instance.rows().sources!.length;

/** The shape Sealdrop makes, unlocked, so each test can bend one thing before locking it. */
const unlockedSourceKey = async () =>
  (await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Sealdrop source' }], date: new Date(0), format: 'object', config: { v6Keys: false, aeadProtect: false } })).privateKey;

const lock = (key: openpgp.PrivateKey, config: Partial<openpgp.Config> = {}) => openpgp.encryptKey({ privateKey: key, passphrase: PASSPHRASE, config: { aeadProtect: false, ...config } });

/**
 * Argon2 locked cheaply here, then the parameters rewritten to what a hostile source would pick: the
 * server cannot tell until it pays (unlocking with them would take minutes and gigabytes).
 */
async function argon2Locked(passes: number, memoryExponent: number): Promise<{ publicKey: string; privateKey: string }> {
  const key = await unlockedSourceKey();
  const locked = await lock(key, { aeadProtect: true, s2kType: openpgp.enums.s2k.argon2, s2kArgon2Params: { passes: 1, parallelism: 1, memoryExponent: 10 } });
  for (const k of locked.getKeys()) Object.assign((k.keyPacket as unknown as { s2k: object }).s2k, { t: passes, encodedM: memoryExponent });
  return { publicKey: key.toPublic().armor(), privateKey: locked.armor() };
}

async function maxIterations(): Promise<{ publicKey: string; privateKey: string }> {
  const key = await unlockedSourceKey();
  const locked = await lock(key);
  for (const k of locked.getKeys()) (k.keyPacket as unknown as { s2k: { c: number } }).s2k.c = 255;
  return { publicKey: key.toPublic().armor(), privateKey: locked.armor() };
}

async function extraSubkey(): Promise<{ publicKey: string; privateKey: string }> {
  const key = await (await unlockedSourceKey()).addSubkey({ type: 'ecc', curve: 'curve25519Legacy', date: new Date(0) });
  return { publicKey: key.toPublic().armor(), privateKey: (await lock(key)).armor() };
}

/** A photo-ID packet, certified by the key itself, as a key with a user attribute carries it. */
async function withUserAttribute(): Promise<{ publicKey: string; privateKey: string }> {
  const key = await unlockedSourceKey();
  const attribute = new openpgp.UserAttributePacket();
  // openpgp.js keeps attribute subpackets as binary strings: an image header and a tiny JPEG.
  Object.assign(attribute, { attributes: [String.fromCharCode(1, 0x10, 0, 1, 1, ...new Array<number>(12).fill(0), 0xff, 0xd8, 0xff, 0xd9)] });
  const certification = new openpgp.SignaturePacket();
  Object.assign(certification, { signatureType: openpgp.enums.signature.certGeneric, publicKeyAlgorithm: key.keyPacket.algorithm, hashAlgorithm: openpgp.enums.hash.sha512 });
  // The typings miss sign()'s real parameters: what is signed is the key with the attribute, and a config.
  const sign = certification.sign.bind(certification) as unknown as (k: unknown, data: unknown, date: Date, detached: boolean, config: openpgp.Config) => Promise<void>;
  await sign(key.keyPacket, { key: key.keyPacket, userAttribute: attribute }, new Date(0), false, openpgp.config);
  const packets = key.toPacketList();
  packets.splice(3, 0, attribute, certification);
  const bent = await openpgp.readPrivateKey({ binaryKey: packets.write() });
  return { publicKey: bent.toPublic().armor(), privateKey: (await lock(bent)).armor() };
}

/** The public key of one pair with the private key of another that shares only the primary key. */
async function mismatchedSubkey(): Promise<{ publicKey: string; privateKey: string }> {
  const key = await unlockedSourceKey();
  const copy = await openpgp.readPrivateKey({ binaryKey: key.write() });
  const other = await copy.addSubkey({ type: 'ecc', curve: 'curve25519Legacy', date: new Date(0) });
  other.subkeys = [other.subkeys[1]!];
  return { publicKey: key.toPublic().armor(), privateKey: (await lock(other)).armor() };
}

const register = (keys: { publicKey: string; privateKey: string }, login = randomBytes(32).toString('hex')) =>
  fetch(`${instance.sourceUrl}/api/sources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login, ...keys }) });

describe('registration accepts only the key Sealdrop makes', () => {
  const cases: [string, () => Promise<{ publicKey: string; privateKey: string }>, RegExp][] = [
    ['Argon2 with 2 GiB and 255 passes', () => argon2Locked(255, 21), /locked .* exactly as Sealdrop/],
    ['the maximum iteration count', maxIterations, /locked .* exactly as Sealdrop/],
    ['an extra encryption subkey', extraSubkey, /one encryption subkey.*nothing else/],
    ['a user attribute (photo ID)', withUserAttribute, /one user ID.*nothing else/],
    ['a private key whose subkey is not the public key’s', mismatchedSubkey, /does not belong to the public key/],
  ];
  test.each(cases)('refuses %s with a quick 400 and stores nothing', async (_name, make, reason) => {
    const keys = await make();
    const before = sourceCount();
    // CPU of the whole process (server, key workers and client): unlocking a hostile key would cost
    // seconds to minutes of it; a loaded machine's wait for a core costs none.
    const { value: res, ms } = await cpuMsAsync(() => register(keys));
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(reason);
    expect(ms).toBeLessThan(2000);
    expect(sourceCount()).toBe(before);
  });
});

/**
 * Sends the no-JS login while another client polls the source listener. Returns how long the event
 * loop both listeners share was held at most (CPU of the main thread between two turns of a timer:
 * see watchEventLoop) and whether every poll was answered.
 */
async function loginWhilePolling(codename: string): Promise<{ status: number; page: string; longestHoldMs: number; allAnswered: boolean }> {
  let done = false;
  let allAnswered = true;
  const loop = watchEventLoop();
  const poll = (async () => {
    while (!done) {
      // A connection reset counts as never answered: a stalled server drops its idle keep-alive sockets.
      allAnswered &&= await fetch(`${instance.sourceUrl}/api/config`).then((r) => r.arrayBuffer().then(() => r.ok), () => false);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  const res = await fetch(`${instance.sourceUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ codename }) });
  const page = await res.text();
  done = true;
  await poll;
  const { longestHoldMs, mainThreadMs, processMs } = loop.stop();
  console.log(`no-JS login: event loop held at most ${longestHoldMs.toFixed(1)} ms of CPU; main thread ${Math.round(mainThreadMs)} ms, process ${Math.round(processMs)} ms`);
  return { status: res.status, page, longestHoldMs, allAnswered };
}

// The longest the loop may be held, in CPU. Healthy: 3.0-5.6 ms in every run, on a loaded machine
// too; unlocking the key on the loop instead of in the key worker (its iterated S2K hashes
// 16 MiB at once) held it 42-49 ms, which a bound of 1 s of wall-clock time between two polls never
// saw.
const HOLD_MS = 20;

describe('the no-JS login unlocks only a key Sealdrop made', () => {
  test('a hostile key stored before this fix is refused without stalling other requests', async () => {
    const codename = generateCodename();
    const { loginSecret } = await deriveSourceSecrets(codename, instance.store.sources.kdfSalt());
    // 128 MiB and 16 passes: seconds of Argon2 per key packet if the server ever ran it.
    const hostile = await argon2Locked(16, 17);
    const key = await readJournalistKey(hostile.publicKey);
    instance.store.sources.create({ loginSecret, publicKey: key.armored, privateKey: hostile.privateKey, recipientKeyId: key.recipientKeyId });
    const { status, page, longestHoldMs, allAnswered } = await loginWhilePolling(codename);
    expect(allAnswered).toBe(true);
    expect(longestHoldMs).toBeLessThan(HOLD_MS);
    expect(status).toBe(409);
    expect(page).toContain('will not unlock it');
  });

  test('a source made by the no-JS path logs in and reads a reply, and the unlock does not hold the event loop', async () => {
    const boundary = 'sealdrop-key-cost';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\nhello\r\n--${boundary}--\r\n`;
    const sent = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    expect(sent.status).toBe(200);
    const codename = /id="codename" dir="ltr">([a-z -]+)</.exec(await sent.text())![1]!;
    const source = instance.rows().sources!.at(-1) as { id: string; public_key: string };
    const sourceKey = (await readJournalistKey(source.public_key)).key;
    await instance.store.replies.add(source.id, await encryptObject({ data: new TextEncoder().encode('reply-canary-5d1e'), recipients: [sourceKey, journalist.key] }));
    const { status, page, longestHoldMs, allAnswered } = await loginWhilePolling(codename);
    expect(status).toBe(200);
    expect(page).toContain('reply-canary-5d1e');
    expect(allAnswered).toBe(true);
    expect(longestHoldMs).toBeLessThan(HOLD_MS);
  });
});
