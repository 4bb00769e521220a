import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partFileName } from '../../common/export-layout.ts';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';

// sealdrop decrypt's workers decrypt and hash a part 64 KiB at a time (newsroom/bulk-open.ts) and
// the main thread writes it 256 KiB at a time (newsroom/decrypt.ts): parts of several pieces, of a
// length that is no multiple of either, come out byte for byte, and a byte altered in a middle
// piece fails the run with nothing left behind.
let dir: string;
const PART = 600_001;
const plaintext = randomBytes(2 * PART + 300_000);
const id = 'e'.repeat(32);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-decrypt-pieces-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  writeFileSync(path.join(dir, 'key.asc'), pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  await writeExportedSubmission(path.join(dir, 'export'), { designation: 'calm-lynx', id, name: 'big.bin', plaintext, recipient, partSize: PART });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const decrypt = (out: string) => sealdrop(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', path.join(dir, 'export'), '--out', path.join(dir, out)]);

test('parts of several pieces decrypt byte for byte', async () => {
  const run = await decrypt('plain');
  expect(run.code, run.stderr).toBe(0);
  expect(readFileSync(path.join(dir, 'plain', 'calm-lynx', id, 'big.bin')).equals(plaintext)).toBe(true);
});

test('a byte altered in a middle piece of part 2 fails the run, naming the part, and nothing is left', async () => {
  const file = path.join(dir, 'export', 'calm-lynx', id, partFileName(2));
  const part = readFileSync(file);
  part[Math.floor(part.length / 2)]! ^= 0x01;
  writeFileSync(file, part);
  const run = await decrypt('altered');
  expect(run.code).not.toBe(0);
  expect(run.stderr).toMatch(/Part 2 could not be decrypted/);
  expect(existsSync(path.join(dir, 'altered')) ? readdirSync(path.join(dir, 'altered'), { recursive: true }) : []).toEqual([]);
});
