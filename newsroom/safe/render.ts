import { mkdir, readdir } from 'node:fs/promises';
import path from 'node:path';
import { readFile } from 'node:fs/promises';
import { clip } from './findings.ts';
import { declaredImageSize } from '../../common/image-size.ts';
import { LIMITS } from './limits.ts';
import { PixelLimitError } from './pixels.ts';
import { runSandboxed, SandboxError } from './sandbox.ts';
import { copyOutput } from './take-out.ts';

// Untrusted bytes become pixels here, every step in the sandbox: LibreOffice turns an office
// document into a PDF, pdfinfo counts and measures its pages (a bomb is refused before a page is
// drawn), pdftoppm draws pages in batches, ImageMagick decodes images (its reader forced by the
// detected format, never guessed from the bytes). Each batch lands in an empty folder as PPM.

export class LimitError extends Error {
  override name = 'LimitError';
}

/** Runs one tool on untrusted bytes; a failure is reported with the tool's last line of stderr, clipped. */
export async function sandboxed(what: string, run: Parameters<typeof runSandboxed>[0]): Promise<string> {
  try {
    const result = await runSandboxed(run);
    // The tool's last words may quote the file: shown without control characters (no terminal escapes).
    if (result.code !== 0) throw new Error(`${what} could not read the file (${clip(result.stderr.trim().split('\n').pop() ?? '') || 'no message'})`);
    return result.stdout.toString('utf8');
  } catch (error) {
    if (error instanceof SandboxError && error.code === 'timeout') throw new LimitError(`${what} ${error.message}`);
    throw error;
  }
}

/** The PDF's page count, checked against the page limit, and each page's size at the render resolution. */
export async function measurePdf(pdf: string): Promise<number> {
  const input = { path: pdf, name: 'doc.pdf' };
  const info = await sandboxed('pdfinfo', { argv: ['pdfinfo', '/in/doc.pdf'], input });
  const pages = Number(/^Pages:\s+(\d+)/m.exec(info)?.[1] ?? NaN);
  if (!Number.isSafeInteger(pages) || pages < 1) throw new Error('pdfinfo found no pages');
  if (pages > LIMITS.maxPages) throw new LimitError(`it has ${pages.toLocaleString('en')} pages, more than the limit of ${LIMITS.maxPages.toLocaleString('en')}: nothing was rendered`);
  const sizes = await sandboxed('pdfinfo', { argv: ['pdfinfo', '-f', '1', '-l', String(pages), '/in/doc.pdf'], input });
  for (const m of sizes.matchAll(/^Page\s+(\d+) size:\s+([\d.]+) x ([\d.]+) pts/gm)) {
    const pixels = ((Number(m[2]) * LIMITS.dpi) / 72) * ((Number(m[3]) * LIMITS.dpi) / 72);
    if (!(pixels <= LIMITS.maxPixels)) throw new PixelLimitError(`page ${m[1]} is ${m[2]} x ${m[3]} points: at ${LIMITS.dpi} DPI that is ${Math.round(pixels / 1e6).toLocaleString('en')} megapixels, above the limit of ${LIMITS.maxPixels / 1e6}: nothing was rendered`);
  }
  return pages;
}

/** Draws pages first..last of the PDF into outDir (empty) as PPM files. */
export async function drawPdfPages(pdf: string, first: number, last: number, outDir: string): Promise<void> {
  await sandboxed('pdftoppm', {
    argv: ['pdftoppm', '-r', String(LIMITS.dpi), '-f', String(first), '-l', String(last), '/in/doc.pdf', '/out/page'],
    input: { path: pdf, name: 'doc.pdf' },
    outDir,
  });
}

function assertPixels(w: number, h: number): void {
  if (!(w * h <= LIMITS.maxPixels)) throw new PixelLimitError(`it is ${w.toLocaleString('en')} x ${h.toLocaleString('en')} pixels, above the limit of ${LIMITS.maxPixels / 1e6} megapixels: nothing was decoded`);
}

const MAGICK_READER: Record<string, string> = { jpeg: 'jpeg', png: 'png', gif: 'gif', webp: 'webp', tiff: 'tiff', heic: 'heic' };

/** Decodes every frame of an image into outDir as PPM, after checking frame count and size without decoding. */
export async function drawImage(file: string, format: string, outDir: string): Promise<void> {
  // The size the header declares, read before any decoder runs: ImageMagick checks again in the
  // sandbox, but its own refusal says nothing, and this gives the clear message.
  const declared = declaredImageSize(await readFile(file), format);
  if (declared) assertPixels(declared[0], declared[1]);
  const input = { path: file, name: 'image' };
  const source = `${MAGICK_READER[format]}:/in/image`;
  const listing = await sandboxed('ImageMagick (which refuses more than 16,000 pixels a side)', { argv: ['identify-im6.q16', '-ping', '-format', '%w %h\\n', source], input });
  const frames = listing.trim().split('\n').map((l) => l.split(' ').map(Number) as [number, number]);
  if (frames.length > LIMITS.maxPages) throw new LimitError(`it has ${frames.length} frames, more than the limit of ${LIMITS.maxPages}`);
  for (const [w, h] of frames) assertPixels(w, h);
  const cap = String(LIMITS.maxPixels);
  await sandboxed('ImageMagick', {
    argv: ['convert-im6.q16', '-limit', 'area', cap, '-limit', 'disk', '2GiB', source, '-coalesce', '-auto-orient', '-depth', '8', '-colorspace', 'sRGB', '-type', 'TrueColor', '-strip', 'ppm:/out/frame-%05d.ppm'],
    input,
    outDir,
  });
}

/** LibreOffice headless converts the document to PDF inside the sandbox; returns the PDF's path. */
export async function officeToPdf(file: string, extension: string, workDir: string): Promise<string> {
  const outDir = path.join(workDir, 'office');
  await mkdir(outDir, { mode: 0o700 });
  await sandboxed('LibreOffice', {
    argv: ['soffice', '--headless', '--norestore', '--nolockcheck', '--nodefault', '-env:UserInstallation=file:///tmp/lo', '--convert-to', 'pdf', '--outdir', '/out', `/in/document.${extension}`],
    input: { path: file, name: `document.${extension}` },
    outDir,
  });
  const made = (await readdir(outDir)).filter((n) => n.endsWith('.pdf'));
  if (made.length !== 1) throw new Error('LibreOffice could not convert the document');
  const pdf = path.join(workDir, 'office.pdf');
  // Copied, never renamed: LibreOffice's /out is the sandbox's, and its PDF goes into the next sandbox.
  await copyOutput(path.join(outDir, made[0]!), pdf, LIMITS.fileBytes);
  return pdf;
}
