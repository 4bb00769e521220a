import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../common/envelope/index.ts';
import { sealdrop, type CliResult } from '../helpers/cli.ts';
import { writeExportedSubmission } from '../helpers/export-fixture.ts';
import { cameraJpeg } from './fixtures.ts';

// `sealdrop decrypt --safe`: the decrypted files as before, and beside each a safe/ folder with
// its safe copy and report; a file that gets none is named, and its plaintext is still there.

let dir: string;
let run: CliResult;
let keyFile: string;
const ids = ['a'.repeat(32), 'b'.repeat(32), 'c'.repeat(32)];
const plain = (id: string, ...rest: string[]) => path.join(dir, 'plain', 'brave-otter', id, ...rest);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-decrypt-safe-'));
  const pair = await generateKeyPair({ name: 'Jo' });
  keyFile = path.join(dir, 'key.asc');
  writeFileSync(keyFile, pair.privateKey);
  const recipient = (await readJournalistKey(pair.publicKey)).key;
  const files: [string, Buffer][] = [['photo.jpg', cameraJpeg(dir)], ['notes.txt', Buffer.from('Meet at the usual place.\n')], ['tool.exe', Buffer.from('MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff', 'latin1')]];
  for (const [i, [name, plaintext]] of files.entries()) {
    await writeExportedSubmission(path.join(dir, 'export'), { designation: 'brave-otter', id: ids[i]!, name, plaintext, recipient, partSize: 4096 });
  }
  run = await sealdrop(['decrypt', '--key', keyFile, '--in', path.join(dir, 'export'), '--out', path.join(dir, 'plain'), '--safe', '--json']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sealdrop decrypt --safe', () => {
  test('decrypts every file as before, then writes safe copies and reports in safe/ beside each', () => {
    expect(run.stdout).toContain(`Decrypted and verified: ${plain(ids[0]!, 'photo.jpg')}`);
    expect(readFileSync(plain(ids[1]!, 'notes.txt'), 'utf8')).toBe('Meet at the usual place.\n');
    expect(existsSync(plain(ids[2]!, 'tool.exe'))).toBe(true);
    expect(existsSync(plain(ids[0]!, 'safe', 'photo.safe.pdf'))).toBe(true);
    expect(readFileSync(plain(ids[0]!, 'safe', 'photo.report.json'), 'utf8')).toContain('SN-PLANTED-4242');
    expect(readFileSync(plain(ids[1]!, 'safe', 'notes.safe.txt'), 'utf8')).toBe('Meet at the usual place.\n');
  });

  test('a file that gets no safe copy is named, the exit status says so, and its plaintext stays', () => {
    expect(run.stderr).toMatch(/No safe copy of .*tool\.exe: .*refused and never opened/);
    expect(run.stderr).toContain('1 of 3 decrypted file(s) have no safe copy (see above); the decrypted files are all there.');
    expect(run.code).toBe(1);
    expect(existsSync(plain(ids[2]!, 'safe', 'tool.report.txt'))).toBe(false);
  });

  test('`sealdrop safe-copy --help` gives its usage alone; no file is a usage mistake', async () => {
    const help = await sealdrop(['safe-copy', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage:\n\n  sealdrop safe-copy FILE\.\.\. --out DIR \[--ocr\] \[--clean\] \[--json\]\n/);
    expect(help.stdout).not.toContain('SEALDROP_DATA');
    const none = await sealdrop(['safe-copy', '--out', path.join(dir, 'none')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Name at least one file: sealdrop safe-copy FILE... --out DIR');
  });

  test('--ocr, --clean and --json without --safe are a usage mistake', async () => {
    const result = await sealdrop(['decrypt', '--key', keyFile, '--in', path.join(dir, 'export'), '--out', path.join(dir, 'other'), '--ocr']);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--ocr, --clean and --json go with --safe.');
    expect(existsSync(path.join(dir, 'other'))).toBe(false);
  });
});
