import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Report } from '../../newsroom/safe/report.ts';
import { sealdrop, type CliResult } from '../helpers/cli.ts';
import { cameraJpeg, hostilePdf, pngOf, rgbImage } from './fixtures.ts';
import { plantedDocx, plantedOdt } from './office-fixtures.ts';
import { FORBIDDEN, inspectPdf, meanDifference, renderGrey } from './pdf-inspect.ts';

// `sealdrop safe-copy` on planted files, once (LibreOffice starts slowly): every safe PDF is
// images only to qpdf, looks like its original to poppler, and every planted item is reported.

let dir: string;
let run: CliResult;
const out = (name: string) => path.join(dir, 'out', name);
const report = (stem: string) => JSON.parse(readFileSync(out(`${stem}.report.json`), 'utf8')) as Report;
const listed = (stem: string) => report(stem).findings.map((f) => `${f.category}|${f.item}|${f.detail}|${f.safeCopy}`).join('\n');

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-safe-test-'));
  // Names that lie: the type comes from the bytes.
  const files: [string, Buffer][] = [
    ['hostile.pdf', hostilePdf()], ['letter.docx', plantedDocx()], ['note.odt', plantedOdt()], ['photo.jpg', cameraJpeg(dir)],
    ['chart.png', pngOf(200, 150, rgbImage(200, 150), { Comment: 'planted-png-comment', Author: 'Planted PNG Author' })],
    ['scan.png', pngOf(900, 1200, rgbImage(900, 1200, 12))], ['misnamed.txt', pngOf(40, 30, rgbImage(40, 30))],
  ];
  for (const [name, bytes] of files) writeFileSync(path.join(dir, name), bytes);
  run = await sealdrop(['safe-copy', ...files.map(([n]) => path.join(dir, n)), '--out', path.join(dir, 'out'), '--json', '--ocr']);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('sealdrop safe-copy', () => {
  test('writes a safe PDF, a report (text and JSON) and OCR text for each document and image', () => {
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    for (const stem of ['hostile', 'letter', 'note', 'photo', 'chart', 'scan', 'misnamed']) {
      for (const suffix of ['.safe.pdf', '.report.txt', '.report.json', '.ocr.txt']) expect(existsSync(out(stem + suffix)), stem + suffix).toBe(true);
    }
    expect(report('misnamed').type).toBe('image (PNG)');
    expect(report('letter').type).toMatch(/DOCX.*LibreOffice in the sandbox/);
  });

  test.each(['hostile', 'letter', 'note', 'photo', 'chart', 'scan'])('%s.safe.pdf holds only images: no script, action, link, form, annotation, attachment, font, text or metadata', (stem) => {
    const pdf = inspectPdf(out(`${stem}.safe.pdf`));
    expect(FORBIDDEN.filter((k) => pdf.keys.has(k))).toEqual([]);
    expect(pdf.images).toBe(pdf.pages);
    expect(pdf.pages).toBeGreaterThan(0);
    for (const content of pdf.contents) expect(content).toMatch(/^q [\d.]+ 0 0 [\d.]+ 0 0 cm \/I Do Q$/);
    const raw = readFileSync(out(`${stem}.safe.pdf`)).toString('latin1');
    expect(raw).not.toMatch(/planted|Planted|tracker\.example|\/JS|\/Launch|\/URI/);
  });

  test('the original PDF\'s planted actions are really there (qpdf sees them), so the check above can fail', () => {
    const original = inspectPdf(path.join(dir, 'hostile.pdf'));
    expect(FORBIDDEN.filter((k) => original.keys.has(k)).sort()).toEqual(['/Annots', '/EmbeddedFile', '/EmbeddedFiles', '/Font', '/Info', '/JS', '/JavaScript', '/Launch', '/Names', '/OpenAction', '/URI'].sort());
    expect(original.contents.some((c) => /\bBT\b/.test(c))).toBe(true);
  });

  test('the safe PDF renders the same visible content as the original', () => {
    const a = renderGrey(path.join(dir, 'hostile.pdf'), 50);
    const b = renderGrey(out('hostile.safe.pdf'), 50);
    expect([b.width, b.height]).toEqual([a.width, a.height]);
    expect(meanDifference(a.grey, b.grey)).toBeLessThan(3);
    // A blank page is far from it: the comparison can tell.
    expect(meanDifference(a.grey, Buffer.alloc(a.grey.length, 255))).toBeGreaterThan(10);
  });

  test('office documents keep their visible text: OCR of the safe copies\' pixels reads it', () => {
    expect(readFileSync(out('letter.ocr.txt'), 'utf8')).toMatch(/SEALDROP VISIBLE TEXT/);
    expect(readFileSync(out('note.ocr.txt'), 'utf8')).toMatch(/SEALDROP ODT TEXT/);
    expect(readFileSync(out('hostile.ocr.txt'), 'utf8')).toMatch(/SEALDROP TEST/);
  });

  test('the PDF report lists the JavaScript, OpenAction, Launch, attachment, link and author', () => {
    const text = listed('hostile');
    for (const planted of ['|/JS|', '|/OpenAction|', '|/Launch|', '|/EmbeddedFile|', 'https://tracker.example/planted-uri', 'secret.txt', 'author|PDF Author|Planted Author|removed', 'software|PDF Producer|Planted Producer 2.0', 'time|PDF CreateDate']) {
      expect(text).toContain(planted);
    }
  });

  test('the DOCX report lists author, company, comment, tracked changes, hidden text and the remote template', () => {
    const text = listed('letter');
    for (const planted of ['author|docProps/core.xml: creator|Planted Author', 'Planted Editor', 'company|docProps/app.xml: Company|Planted Company Ltd', 'comments|comment|by Planted Commenter',
      'revisions|tracked insertion|by Planted Inserter on 2024-01-02T03:04:05Z|shown', 'revisions|tracked deletion|by Planted Deleter', 'hidden|hidden text', 'links|remote template|https://templates.example/planted-template.dotm', 'software|docProps/app.xml: Application|Planted Word']) {
      expect(text).toContain(planted);
    }
  });

  test('the ODT report lists the embedded object, author, generator, tracked change, comment and printer', () => {
    const text = listed('note');
    for (const planted of ['embedded|embedded object|Object 1/', 'author|meta.xml: initial-creator|Planted Author', 'software|meta.xml: generator|PlantedOffice/7.4',
      'revisions|tracked change|by Planted ODT Editor on 2024-01-02T03:04:05|shown', 'comments|comment|by Planted ODT Commenter|removed', 'device-name|PrinterName|Planted-Printer-3rd-Floor']) expect(text).toContain(planted);
  });

  test('the JPEG report lists GPS, camera make, model and serial, and the thumbnail, all removed', () => {
    const text = listed('photo');
    for (const planted of ['location|GPS GPSLatitude|39 deg 54', 'camera|IFD0 Make|PlantedMake|removed', 'camera|IFD0 Model|PlantedModel X1', 'camera|ExifIFD SerialNumber|SN-PLANTED-4242|removed', 'thumbnail|IFD1 ThumbnailImage', 'time|ExifIFD DateTimeOriginal|2024:01:02']) {
      expect(text).toContain(planted);
    }
    expect(execFileSync('exiftool', ['-s', '-s', '-s', '-SerialNumber', '-GPSLatitude', '-ThumbnailImage', out('photo.safe.pdf')]).toString()).toBe('');
  });

  test('the PNG report lists its text chunks', () => {
    const text = listed('chart');
    expect(text).toContain('planted-png-comment');
    expect(text).toContain('Planted PNG Author');
  });

  test('a scanned page with a grid of faint yellow dots is flagged, and says the dots are still in the safe copy', () => {
    const dots = report('scan').findings.filter((f) => f.category === 'tracking-dots');
    expect(dots).toHaveLength(1);
    expect(dots[0]!.safeCopy).toBe('shown');
    expect(dots[0]!.detail).toMatch(/grid of \d+ faint yellow dots about 12 px/);
    for (const clean of ['hostile', 'letter', 'note', 'photo', 'chart']) expect(listed(clean)).not.toContain('tracking-dots');
    expect(readFileSync(out('scan.report.txt'), 'utf8')).toMatch(/Printer tracking dots[\s\S]*STILL VISIBLE in the safe copy/);
  });
});
