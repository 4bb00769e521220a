import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sealdrop, type CliResult } from '../helpers/cli.ts';
import { cameraJpeg, manyPagesPdf, pixelBombJpeg, pixelBombPdf, pixelBombPng, zipOf } from './fixtures.ts';
import { plantedDocx } from './office-fixtures.ts';

// Bombs stop at their limits before anything is rendered, files that are neither documents,
// images nor text are refused unopened, text stays text, and --clean keeps the format via mat2.

let dir: string;
let bombs: CliResult;
let texts: CliResult;
let clean: CliResult;
const out = (sub: string, name: string) => path.join(dir, sub, name);

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-limits-test-'));
  const files: Record<string, Buffer> = {
    'pages.pdf': manyPagesPdf(100_000), 'poster.pdf': pixelBombPdf(), 'huge.png': pixelBombPng(), 'huge.jpg': pixelBombJpeg(),
    'program.pdf.exe': Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), randomBytes(4000)]),
    'archive.docx': zipOf([['notes.txt', 'not an office document']]),
    'utf8.txt': Buffer.from('Plain words\u200b with a zero-width space and ünïcödé\n'),
    'utf16.txt': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('Twenty \u6587\u5b57 in UTF-16\n', 'utf16le')]),
    'letter.docx': plantedDocx(), 'photo.jpg': cameraJpeg(dir),
  };
  for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(dir, name), bytes);
  const at = (...names: string[]) => names.map((n) => path.join(dir, n));
  [bombs, texts, clean] = await Promise.all([
    sealdrop(['safe-copy', ...at('pages.pdf', 'poster.pdf', 'huge.png', 'huge.jpg', 'program.pdf.exe', 'archive.docx'), '--out', path.join(dir, 'bombs')]),
    sealdrop(['safe-copy', ...at('utf8.txt', 'utf16.txt'), '--out', path.join(dir, 'texts')]),
    sealdrop(['safe-copy', ...at('letter.docx', 'photo.jpg'), '--out', path.join(dir, 'clean'), '--clean']),
  ]);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('limits and refusals', () => {
  test('a PDF of 100,000 pages is refused at the page limit, before a page is drawn', () => {
    expect(bombs.stderr).toContain('pages.pdf: it has 100,000 pages, more than the limit of 1,000: nothing was rendered');
  });

  test('pixel bombs (a 200-inch page, a PNG and a JPEG declaring gigapixels) are refused before decoding', () => {
    expect(bombs.stderr).toContain('poster.pdf: page 1 is 14400 x 14400 points: at 150 DPI that is 900 megapixels, above the limit of 100: nothing was rendered');
    expect(bombs.stderr).toContain('huge.png: it is 60,000 x 60,000 pixels, above the limit of 100 megapixels: nothing was decoded');
    expect(bombs.stderr).toContain('huge.jpg: it is 65,000 x 65,000 pixels, above the limit of 100 megapixels: nothing was decoded');
  });

  test('a program and a ZIP that is not an office document are refused and never opened, whatever their names say', () => {
    expect(bombs.stderr).toMatch(/program\.pdf\.exe: refused and never opened: not a PDF, an image, an office document or plain text/);
    expect(bombs.stderr).toMatch(/archive\.docx: refused and never opened: a ZIP archive that is not an office document/);
  });

  test('nothing is written for a refused file, and the command says how many have no safe copy', () => {
    expect(bombs.code).toBe(1);
    expect(bombs.stderr).toContain('6 of 6 file(s) have no safe copy');
    expect(existsSync(path.join(dir, 'bombs')) ? readdirSync(path.join(dir, 'bombs')) : []).toEqual([]);
  });

  test('plain text is re-encoded as UTF-8 without invisible characters, and the report says they were there', () => {
    expect(texts.code).toBe(0);
    expect(readFileSync(out('texts', 'utf8.safe.txt'), 'utf8')).toBe('Plain words with a zero-width space and ünïcödé\n');
    expect(readFileSync(out('texts', 'utf16.safe.txt'), 'utf8')).toBe('Twenty \u6587\u5b57 in UTF-16\n');
    expect(readFileSync(out('texts', 'utf8.report.txt'), 'utf8')).toMatch(/invisible characters \(zero-width or direction marks\): 1/);
    expect(readFileSync(out('texts', 'utf16.report.txt'), 'utf8')).toMatch(/carries none of the identifying items/);
  });

  test('--clean keeps the format through mat2, and the report says what mat2 does not remove', () => {
    expect(clean.stderr).toBe('');
    const tags = execFileSync('exiftool', ['-s', '-s', '-s', '-SerialNumber', '-GPSLatitude', '-Make', out('clean', 'photo.clean.jpg')]).toString();
    expect(tags).toBe('');
    expect(execFileSync('exiftool', ['-s', '-s', '-s', '-SerialNumber', path.join(dir, 'photo.jpg')]).toString()).toContain('SN-PLANTED-4242');
    const docx = execFileSync('unzip', ['-p', out('clean', 'letter.clean.docx')]).toString();
    expect(docx).toContain('SEALDROP VISIBLE TEXT');
    expect(docx).not.toContain('Planted Author');
    expect(readFileSync(out('clean', 'letter.report.txt'), 'utf8')).toMatch(/Clean copy: letter\.clean\.docx: mat2 removes the metadata .* it does not remove the content/);
  });
});
