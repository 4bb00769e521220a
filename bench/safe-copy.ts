// Safe copies (docs/safe-copies.md): pages per second through the sandbox for a 100-page PDF and a
// 20-page DOCX (LibreOffice first), and how fast each limit stops a bomb. Runs on the journalist's
// machine, not the server; figures go to docs/benchmarks.md.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { LIMITS } from '../newsroom/safe/limits.ts';
import { safeCopy } from '../newsroom/safe/copy-one.ts';
import { manyPagesPdf, pdfOf, pixelBombPdf, pixelBombPng } from '../tests/newsroom/fixtures.ts';
import { pagedDocx } from '../tests/newsroom/office-fixtures.ts';

/** A PDF of `pages` pages of text (Helvetica), like a scanned-and-OCRed or typed report. */
function textPdf(pages: number): Buffer {
  const content = (n: number) => {
    const lines = Array.from({ length: 40 }, (_, i) => `(Page ${n} line ${i + 1}: the quick brown fox jumps over the lazy dog) Tj 0 -16 Td`).join(' ');
    const text = `BT /F1 11 Tf 60 740 Td ${lines} ET`;
    return `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;
  };
  const kids = Array.from({ length: pages }, (_, i) => `${4 + i * 2} 0 R`).join(' ');
  const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Count ${pages} /Kids [${kids}] >>`, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  for (let n = 1; n <= pages; n++) objects.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${5 + (n - 1) * 2} 0 R /Resources << /Font << /F1 3 0 R >> >> >>`, content(n));
  return pdfOf(objects);
}

async function timed(dir: string, name: string, bytes: Buffer): Promise<{ ms: number; error?: string }> {
  const file = path.join(dir, name);
  await writeFile(file, bytes);
  const t = performance.now();
  try {
    await safeCopy(file, path.join(dir, 'out'), { ocr: false, clean: false, json: false });
    return { ms: performance.now() - t };
  } catch (error) {
    return { ms: performance.now() - t, error: (error as Error).message.replace(`${file}: `, '') };
  }
}

export async function benchSafeCopy(): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), 'sealdrop-bench-safe-'));
  try {
    for (const [name, bytes, pages] of [['report.pdf', textPdf(100), 100], ['report.docx', pagedDocx(20), 20]] as const) {
      const { ms, error } = await timed(dir, name, bytes);
      console.log(JSON.stringify({ name: `safe-copy-${name.split('.')[1]}`, pages, seconds: +(ms / 1000).toFixed(1), pagesPerSecond: +(pages / (ms / 1000)).toFixed(1), dpi: LIMITS.dpi, error }));
    }
    for (const [name, bytes] of [['pages-100000.pdf', manyPagesPdf(100_000)], ['poster-900MP.pdf', pixelBombPdf()], ['png-3.6GP.png', pixelBombPng()]] as const) {
      const { ms, error } = await timed(dir, name, bytes);
      console.log(JSON.stringify({ name: `safe-copy-limit-${name}`, bytes: bytes.length, refusedInMs: Math.round(ms), message: error }));
    }
    console.log(JSON.stringify({ name: 'safe-copy-limits', ...LIMITS }));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSafeCopy();
