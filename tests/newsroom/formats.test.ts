import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../newsroom/safe/report.ts';
import { sealdrop, type CliResult } from '../helpers/cli.ts';
import { pngOf, rgbImage } from './fixtures.ts';
import { hiddenSheetXlsx, plantedRtf } from './office-fixtures.ts';
import { FORBIDDEN, inspectPdf, meanDifference, renderGrey } from './pdf-inspect.ts';

// The other formats the safe copy takes: GIF, WebP, TIFF and HEIC images (made here from a PNG by
// Debian's ImageMagick), RTF, an XLSX with a hidden sheet, and a DOC (LibreOffice made it from the RTF).

let dir: string;
let run: CliResult;
const out = (name: string) => path.join(dir, 'out', name);
const report = (stem: string) => JSON.parse(readFileSync(out(`${stem}.report.json`), 'utf8')) as Report;
const IMAGES = ['gif', 'webp', 'tiff', 'heic'];

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-formats-test-'));
  const png = path.join(dir, 'source.png');
  writeFileSync(png, pngOf(240, 180, rgbImage(240, 180)));
  for (const format of IMAGES) execFileSync('convert-im6.q16', [png, `${format}:${path.join(dir, `picture-${format}.bin`)}`]);
  writeFileSync(path.join(dir, 'memo.rtf'), plantedRtf());
  writeFileSync(path.join(dir, 'budget.xlsx'), hiddenSheetXlsx());
  execFileSync('soffice', ['--headless', `-env:UserInstallation=file://${dir}/lo`, '--convert-to', 'doc', '--outdir', dir, path.join(dir, 'memo.rtf')], { stdio: 'ignore' });
  const files = ['source.png', ...IMAGES.map((f) => `picture-${f}.bin`), 'memo.rtf', 'budget.xlsx', 'memo.doc'].map((n) => path.join(dir, n));
  run = await sealdrop(['safe-copy', ...files, '--out', path.join(dir, 'out'), '--json']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('formats', () => {
  test('every file is taken, by its bytes', () => {
    expect(run.stderr).toBe('');
    expect(IMAGES.map((f) => report(`picture-${f}`).type)).toEqual(['image (GIF)', 'image (WEBP)', 'image (TIFF)', 'image (HEIC)']);
    expect(report('budget').type).toMatch(/XLSX/);
    expect(report('memo').type).toMatch(/RTF/);
    expect(report('memo (2)').type).toMatch(/\(DOC\)/);
  });

  test.each(IMAGES)('the %s image becomes an images-only PDF that looks like it', (format) => {
    const pdf = inspectPdf(out(`picture-${format}.safe.pdf`));
    expect(FORBIDDEN.filter((k) => pdf.keys.has(k))).toEqual([]);
    expect([pdf.pages, pdf.images]).toEqual([1, 1]);
    // At 150 DPI the page is the image's own pixels: compare with the PNG the image was made from.
    const page = renderGrey(out(`picture-${format}.safe.pdf`), 150);
    const original = renderGrey(out('source.safe.pdf'), 150);
    expect([page.width, page.height]).toEqual([240, 180]);
    expect(meanDifference(page.grey, original.grey)).toBeLessThan(format === 'heic' || format === 'webp' ? 6 : 1);
  });

  test('office formats become images-only PDFs, and the XLSX report names its hidden sheet', () => {
    for (const stem of ['memo', 'budget', 'memo (2)']) {
      const pdf = inspectPdf(out(`${stem}.safe.pdf`));
      expect(FORBIDDEN.filter((k) => pdf.keys.has(k))).toEqual([]);
      expect(pdf.images).toBe(pdf.pages);
    }
    expect(report('budget').findings).toContainEqual(expect.objectContaining({ category: 'hidden', item: 'hidden sheet', detail: 'Planted Hidden Sheet' }));
    expect(JSON.stringify(report('memo').findings)).toContain('Planted RTF Author');
  });
});
