import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Kind } from './detect.ts';
import { EXTENSION } from './detect.ts';
import { LIMITS } from './limits.ts';
import { PdfWriter } from './pdf-writer.ts';
import { drainPages } from './pixels.ts';
import { drawImage, drawPdfPages, measurePdf, officeToPdf } from './render.ts';
import { runSandboxed } from './sandbox.ts';
import { findDotGrid, type DotGrid } from './yellow-dots.ts';

// A document or image becomes NAME.safe.pdf: pixels from the sandbox, checked and re-encoded,
// written into a new PDF. The yellow-dot check and OCR read the same pixels; OCR text comes from
// the pixels only, never from the original's text.

export type Rendered = { pages: number; dotGrids: { page: number; grid: DotGrid }[]; ocrText: string | null; viaOffice: boolean };

/** tesseract on every page in dir, in the sandbox; pages are separated by form feeds. */
async function ocr(dir: string): Promise<string> {
  const result = await runSandboxed({
    argv: ['sh', '-c', `for f in /in/pages/*.ppm; do tesseract "$f" - --dpi ${LIMITS.dpi} 2>/dev/null; printf "\\f"; done`],
    input: { path: dir, name: 'pages' },
  });
  return result.stdout.toString('utf8');
}

async function batchDir(work: string, n: number): Promise<string> {
  const dir = path.join(work, `batch-${n}`);
  await mkdir(dir, { mode: 0o700 });
  return dir;
}

export async function renderSafePdf(file: string, kind: Kind & { family: 'pdf' | 'image' | 'office' }, outPdf: string, work: string, withOcr: boolean): Promise<Rendered> {
  const viaOffice = kind.family === 'office';
  const pdf = kind.family === 'office' ? await officeToPdf(file, EXTENSION[kind.format]!, work) : file;
  const batches: { draw: (dir: string) => Promise<void> }[] = [];
  if (kind.family === 'image') batches.push({ draw: (dir) => drawImage(file, kind.format, dir) });
  else {
    const pages = await measurePdf(pdf);
    for (let first = 1; first <= pages; first += LIMITS.batchPages) {
      batches.push({ draw: (dir) => drawPdfPages(pdf, first, Math.min(pages, first + LIMITS.batchPages - 1), dir) });
    }
  }
  const out = await open(outPdf, 'wx', 0o600);
  const result: Rendered = { pages: 0, dotGrids: [], ocrText: withOcr ? '' : null, viaOffice };
  try {
    const writer = new PdfWriter(out, LIMITS.dpi);
    await writer.begin();
    for (const [n, batch] of batches.entries()) {
      const dir = await batchDir(work, n);
      await batch.draw(dir);
      if (withOcr) result.ocrText += await ocr(dir);
      for await (const page of drainPages(dir)) {
        await writer.page(page);
        const grid = findDotGrid(page);
        if (grid) result.dotGrids.push({ page: writer.pageCount, grid });
      }
      await rm(dir, { recursive: true });
    }
    if (writer.pageCount === 0) throw new Error('the renderer drew no pages');
    await writer.end();
    result.pages = writer.pageCount;
    await out.close();
    return result;
  } catch (error) {
    await out.close().catch(() => undefined);
    await rm(outPdf, { force: true });
    throw error;
  }
}
