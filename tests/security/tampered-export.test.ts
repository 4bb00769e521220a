import { randomBytes } from 'node:crypto';
import { cp, mkdtemp, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { partFileName } from '../../common/export-layout.ts';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';

// Threat: an attacker who controls the server or the USB stick alters, drops, reorders or adds
// parts, or picks a file name that escapes the output folder. Decryption must fail closed.
const PART = 64 * 1024;
const ID_A = 'e1'.repeat(16); // sorts after ID_B: B is decrypted first, then must be removed
const ID_B = 'b2'.repeat(16);
let work: string;
let pristine: string;
let keyFile: string;
const plaintextA = randomBytes(3 * PART + 77);
const plaintextB = randomBytes(PART / 2);

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-tamper-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  keyFile = path.join(work, 'key.asc');
  await writeFile(keyFile, pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  pristine = path.join(work, 'pristine');
  await writeExportedSubmission(pristine, { designation: 'brave-otter', id: ID_A, name: 'a.bin', plaintext: plaintextA, recipient, partSize: PART });
  await writeExportedSubmission(pristine, { designation: 'brave-otter', id: ID_B, name: 'b.bin', plaintext: plaintextB, recipient, partSize: PART });
});
afterAll(() => rm(work, { recursive: true, force: true }));

async function tampered(change: (dirA: string) => Promise<void>): Promise<{ code: number | null; stderr: string; out: string }> {
  const copy = await mkdtemp(path.join(work, 'copy-'));
  await cp(pristine, copy, { recursive: true });
  await change(path.join(copy, 'brave-otter', ID_A));
  const out = path.join(copy, '..', `${path.basename(copy)}-plain`);
  const result = await sealdrop(['decrypt', '--key', keyFile, '--in', copy, '--out', out]);
  return { ...result, out };
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries.filter((e) => e.isFile()).map((e) => e.name);
}

test('the untouched export decrypts, every file verified', async () => {
  const result = await tampered(async () => {});
  expect(result.code, result.stderr).toBe(0);
  expect((await readFile(path.join(result.out, 'brave-otter', ID_A, 'a.bin'))).equals(plaintextA)).toBe(true);
  expect((await readFile(path.join(result.out, 'brave-otter', ID_B, 'b.bin'))).equals(plaintextB)).toBe(true);
});

describe('fails closed, names the part, leaves no plaintext at all', () => {
  const part = (dir: string, n: number) => path.join(dir, partFileName(n));
  test.each([
    ['a truncated part', async (d: string) => truncate(part(d, 2), 100), /part 2/i],
    ['reordered parts', async (d: string) => {
      await rename(part(d, 1), `${part(d, 1)}.x`);
      await rename(part(d, 2), part(d, 1));
      await rename(`${part(d, 1)}.x`, part(d, 2));
    }, /part 1/i],
    ['a missing part', async (d: string) => rm(part(d, 3)), /part 3/i],
    ['an altered byte', async (d: string) => {
      const bytes = await readFile(part(d, 4));
      bytes[bytes.length - 30]! ^= 1;
      await writeFile(part(d, 4), bytes);
    }, /part 4/i],
    ['an extra part', async (d: string) => cp(part(d, 1), part(d, 5)), /part-00005/],
    ['a manifest moved to another submission folder', async (d: string) => cp(path.join(d, '..', ID_B, 'manifest.pgp'), path.join(d, 'manifest.pgp')), /another submission/],
  ])('%s', async (_label, change, pattern) => {
    const result = await tampered(change);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(pattern);
    expect(result.stderr).toContain(ID_A);
    // b.bin was decrypted first and verified, yet nothing from this run survives.
    expect(await filesUnder(result.out)).toEqual([]);
    expect(await readdir(result.out).catch(() => [])).toEqual([]);
  });
});

test('a file name that tries to escape the output folder stays inside it', async () => {
  const pair = await generateKeyPair({ name: 'Jo2' });
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  const exportDir = path.join(work, 'evil-export');
  const id = 'c3'.repeat(16);
  await writeExportedSubmission(exportDir, { designation: 'calm-crane', id, name: '../../../../tmp/evil.sh', plaintext: Buffer.from('echo owned'), recipient, partSize: PART });
  const key = path.join(work, 'key2.asc');
  await writeFile(key, pair.privateKey);
  const out = path.join(work, 'evil-plain');
  const result = await sealdrop(['decrypt', '--key', key, '--in', exportDir, '--out', out]);
  expect(result.code, result.stderr).toBe(0);
  expect(await readdir(path.join(out, 'calm-crane', id))).toEqual(['evil.sh']);
});
