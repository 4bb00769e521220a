import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { partFileName } from '../../common/export-layout.ts';
import { generateKeyPair, joinBytes, readJournalistKey, splitHeader } from '../../common/envelope/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';

// sealdrop decrypt reads each part's header on the main thread: a part sealed to many recipients
// has a header longer than the first read (64 KiB), and is read further rather than called
// undecryptable. The header is lengthened as a newsroom with hundreds of keys would: other
// recipients' PKESKs (here one other key's, repeated) before the reader's own.
let dir: string;
const plaintext = Buffer.from('A part whose header is longer than the first read.\n');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-long-header-'));
  const [mine, other] = [await generateKeyPair({ name: 'Jo' }), await generateKeyPair({ name: 'Eve' })];
  writeFileSync(path.join(dir, 'key.asc'), mine.privateKey);
  const sealedTo = async (k: { publicKey: string }) => (await readJournalistKey(k.publicKey)).key;
  const id = 'd'.repeat(32);
  const sub = await writeExportedSubmission(path.join(dir, 'export'), { designation: 'brave-otter', id, name: 'notes.txt', plaintext, recipient: await sealedTo(mine), partSize: 4096 });
  const file = path.join(sub, partFileName(1));
  const part = new Uint8Array(readFileSync(file));
  // Eve's PKESK, taken from a part sealed to her, repeated until the header passes 80 KiB.
  const eve = await writeExportedSubmission(path.join(dir, 'eve'), { designation: 'x', id, name: 'x', plaintext, recipient: await sealedTo(other), partSize: 4096 });
  const eveKey = splitHeader(new Uint8Array(readFileSync(path.join(eve, partFileName(1))))).pkesks[0]!.bytes;
  writeFileSync(file, joinBytes([...Array.from({ length: Math.ceil((80 * 1024) / eveKey.length) }, () => eveKey), part]));
  expect(splitHeader(new Uint8Array(readFileSync(file))).sealedAt).toBeGreaterThan(80 * 1024);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

test('a part whose PKESKs run past the first 64 KiB decrypts', async () => {
  const run = await sealdrop(['decrypt', '--key', path.join(dir, 'key.asc'), '--in', path.join(dir, 'export'), '--out', path.join(dir, 'plain')]);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  const out = path.join(dir, 'plain', 'brave-otter', 'd'.repeat(32));
  expect(await readdir(out)).toEqual(['notes.txt']);
  expect(readFileSync(path.join(out, 'notes.txt'))).toEqual(plaintext);
});
