import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import * as openpgp from 'openpgp';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Threat: a seized server dates first contact. A key's packets carry its creation time and each
// signature's, to the second: a source key made on the source's device or by the server on the
// first no-JS submission says exactly when that source first came. Source keys carry the epoch.
let instance: Instance;
let journalistKey: openpgp.PublicKey;
const startedSec = Math.floor(Date.now() / 1000);

beforeAll(async () => {
  instance = await startInstance();
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
  journalistKey = (await readJournalistKey(pair.publicKey)).key;
});
afterAll(() => instance?.stop());

type SourceRow = { id: string; public_key: string; private_key: string };
const sources = () => instance.rows().sources as SourceRow[];

async function noScriptSource(): Promise<string> {
  const boundary = 'sealdrop-times';
  const body = `--${boundary}\r\nContent-Disposition: form-data; name="message"\r\n\r\ntimes\r\n--${boundary}--\r\n`;
  const res = await fetch(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
  expect(res.status).toBe(200);
  return /id="codename" dir="ltr">([a-z -]+)</.exec(await res.text())![1]!;
}

/** Every time a key's packets carry, in seconds: key creation, signature creation and expiries. */
async function packetTimes(armored: string): Promise<number[]> {
  const { data } = await openpgp.unarmor(armored);
  const classes = [openpgp.PublicKeyPacket, openpgp.PublicSubkeyPacket, openpgp.SecretKeyPacket, openpgp.SecretSubkeyPacket, openpgp.UserIDPacket, openpgp.UserAttributePacket, openpgp.SignaturePacket];
  // openpgp.js takes a plain object of tag → class here, whatever its typings say.
  const allowed = Object.fromEntries(classes.map((c) => [c.tag, c])) as unknown as Parameters<typeof openpgp.PacketList.fromBinary>[1];
  const packets = await openpgp.PacketList.fromBinary(data as Uint8Array, allowed);
  return packets.flatMap((p) => {
    if (p instanceof openpgp.SignaturePacket) return [p.created!.getTime() / 1000, p.signatureExpirationTime ?? 0, p.keyExpirationTime ?? 0];
    if ('created' in p) return [(p.created as Date).getTime() / 1000];
    return [];
  });
}

describe('source keys carry no time', () => {
  test('a key made now is refused, and nothing is stored', async () => {
    const { publicKey, privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'Sealdrop source' }], passphrase: 'g'.repeat(128), config: { v6Keys: false, aeadProtect: false } });
    const before = sources().length;
    const res = await fetch(`${instance.sourceUrl}/api/sources`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: 'd'.repeat(64), publicKey, privateKey }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/time|date/i);
    expect(sources().length).toBe(before);
  });

  test('keys stored by both paths (device and no-JS) carry only the epoch', async () => {
    await registerApiSource(instance.sourceUrl);
    await noScriptSource();
    const rows = sources();
    expect(rows.length).toBeGreaterThanOrEqual(2);
    for (const row of rows) {
      for (const armored of [row.public_key, row.private_key]) {
        const times = await packetTimes(armored);
        expect(times).toHaveLength(8); // 2 key packets; 2 signatures with a creation time and 2 expiries each
        expect(new Set(times)).toEqual(new Set([0]));
      }
    }
  });
});

/** Where `bytes` holds a time from this test run finer than a day, as text, a 4-byte big-endian count or an ISO time. */
function timesIn(bytes: Buffer, lo: number, hi: number): string[] {
  const hits: string[] = [];
  for (let i = 0; i + 4 <= bytes.length; i++) {
    const v = bytes.readUInt32BE(i);
    if (v >= lo && v <= hi) hits.push(`uint32be ${v} at ${i}`);
  }
  const text = bytes.toString('latin1');
  for (const m of text.matchAll(/(?<!\d)(\d{10}|\d{13})(?!\d)/g)) {
    const v = Number(m[1]) / (m[1]!.length === 13 ? 1000 : 1);
    if (v >= lo && v <= hi) hits.push(`text ${m[1]}`);
  }
  for (const m of text.matchAll(/\d{4}-\d\d-\d\d[T ](\d\d:\d\d(:\d\d)?)/g)) if (!/^00:00(:00)?$/.test(m[1]!)) hits.push(`iso ${m[0]}`);
  return hits;
}

/** The bytes a seizure reads from one stored value: armoured OpenPGP is decoded, not just read as text. */
async function valueBytes(value: unknown): Promise<Buffer[]> {
  if (value === null || value === undefined) return [];
  if (Buffer.isBuffer(value)) return [value];
  const text = String(value);
  const armoured = [...text.matchAll(/-----BEGIN PGP [^]*?-----END PGP [A-Z ]+-----/g)];
  return [Buffer.from(text), ...(await Promise.all(armoured.map(async (m) => Buffer.from((await openpgp.unarmor(m[0])).data as Uint8Array))))];
}

describe('audit: nothing under the data directory holds a time finer than a day', () => {
  test('rows, object files and their mtimes', async () => {
    await registerApiSource(instance.sourceUrl);
    const codename = await noScriptSource();
    const source = sources().at(-1)!;
    const sourceKey = (await readJournalistKey(source.public_key)).key;
    await instance.store.replies.add(source.id, await encryptObject({ data: new TextEncoder().encode('audit reply'), recipients: [sourceKey, journalistKey] }));
    const login = await fetch(`${instance.sourceUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ codename }) });
    expect(await login.text()).toContain('audit reply');
    const [lo, hi] = [startedSec - 60, Math.floor(Date.now() / 1000) + 60];

    const hits: string[] = [];
    for (const [table, rows] of Object.entries(instance.rows())) {
      for (const row of rows as Record<string, unknown>[]) {
        for (const [column, value] of Object.entries(row)) {
          // A journalist's own key carries the journalist's chosen creation time; it says nothing about sources.
          if (table === 'journalists' && column === 'public_key') continue;
          if (typeof value === 'number' && ((value >= lo && value <= hi) || (value >= lo * 1000 && value <= hi * 1000))) hits.push(`${table}.${column}: number ${value}`);
          for (const bytes of await valueBytes(value)) hits.push(...timesIn(bytes, lo, hi).map((h) => `${table}.${column}: ${h}`));
        }
      }
    }
    const dataDir = instance.config.dataDir;
    for (const entry of await readdir(dataDir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const file = path.join(entry.parentPath, entry.name);
      const name = path.relative(dataDir, file);
      hits.push(...timesIn(await readFile(file), lo, hi).map((h) => `${name}: ${h}`));
      if (name.startsWith('objects')) {
        const mtime = (await stat(file)).mtime.toISOString();
        if (!mtime.endsWith('T00:00:00.000Z')) hits.push(`${name}: mtime ${mtime}`);
      }
    }
    expect(hits).toEqual([]);
  });
});
