import { existsSync, mkdirSync } from 'node:fs';
import { lstat, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { safeFileName, uniqueName } from '../../common/filenames.ts';
import { Leftovers, ownedName } from '../leftovers.ts';
import { renderSafePdf, type Rendered } from './convert.ts';
import { decodeText, detect, EXTENSION, type Kind } from './detect.ts';
import { clip, Findings } from './findings.ts';
import { LIMITS } from './limits.ts';
import { exifFindings, pdfFindings } from './metadata.ts';
import { officeFindings } from './office-parts.ts';
import { ALWAYS_PRESENT, CLEAN_LIMITS, reportJson, reportText, type Report } from './report.ts';
import { assertSandbox, runSandboxed } from './sandbox.ts';
import { copyOutput } from './take-out.ts';

// One file in, its safe copy and report out. The original's bytes are copied into a private work
// folder first (the sandbox sees that copy, never the journalist's folders), and everything the
// tools read from it runs in the sandbox. The work folder (0700) sits in the output folder, not in
// the shared /tmp: the journalist chose that disk for this material, and an interrupted run
// leaves its copies there, where they will be seen; a signal removes them (leftovers.ts), and so
// does the next decrypt into that folder if the run was killed (stale.ts).

export type SafeOptions = { ocr: boolean; clean: boolean; json: boolean };

/** A file that gets no safe copy: refused by type, or stopped at a limit. The message says which. */
export class SafeCopyRefused extends Error {
  override name = 'SafeCopyRefused';
}

const INVISIBLE = /[\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;

function describe(kind: Kind): string {
  if (kind.family === 'office') return `office document (${kind.format.toUpperCase()}), converted to PDF by LibreOffice in the sandbox`;
  if (kind.family === 'image') return `image (${kind.format.toUpperCase()})`;
  return kind.family === 'pdf' ? 'PDF' : 'plain text';
}

async function textCopy(bytes: Buffer, out: (suffix: string) => string, f: Findings): Promise<Report['safeCopy']> {
  const text = decodeText(bytes)!;
  const invisible = text.match(INVISIBLE)?.length ?? 0;
  if (invisible) f.add('hidden', 'invisible characters (zero-width or direction marks)', `${invisible}: they can fingerprint a copy of a text`);
  await writeFile(out('.safe.txt'), text.replace(INVISIBLE, ''), { flag: 'wx', mode: 0o600 });
  return { file: path.basename(out('.safe.txt')), note: 'the text re-encoded as UTF-8, without invisible characters' };
}

async function pixelCopy(input: string, kind: Kind & { family: 'pdf' | 'image' | 'office' }, bytes: Buffer, work: string, out: (s: string) => string, f: Findings, o: SafeOptions): Promise<[Report['safeCopy'], string | null]> {
  const rendered: Rendered = await renderSafePdf(input, kind, out('.safe.pdf'), work, o.ocr);
  await exifFindings(f, input);
  if (kind.family === 'pdf') await pdfFindings(f, input);
  if (kind.family === 'office') officeFindings(f, bytes);
  for (const { page, grid } of rendered.dotGrids) {
    f.add('tracking-dots', `page ${page}`, `a grid of ${grid.dots} faint yellow dots about ${grid.pitch} px apart: likely a colour printer's tracking code; print or publish in greyscale, or retype`, 'shown');
  }
  let ocr: string | null = null;
  if (rendered.ocrText !== null) {
    await writeFile(out('.ocr.txt'), rendered.ocrText, { flag: 'wx', mode: 0o600 });
    ocr = path.basename(out('.ocr.txt'));
  }
  return [{ file: path.basename(out('.safe.pdf')), pages: rendered.pages, note: 'every page rendered to pixels in the sandbox and written into a new PDF that holds only images' }, ocr];
}

/** mat2 in the sandbox (its own bubblewrap off: this is one), on a copy in its own folder. */
async function cleanCopy(bytes: Buffer, ext: string, work: string, target: string): Promise<NonNullable<Report['clean']>> {
  const dir = path.join(work, 'clean');
  await mkdir(dir, { mode: 0o700 });
  await writeFile(path.join(dir, `file.${ext}`), bytes, { mode: 0o600 });
  // Parts mat2 does not know are left out rather than kept as they are.
  const result = await runSandboxed({ argv: ['mat2', '--no-sandbox', '--unknown-members', 'omit', `/out/file.${ext}`], outDir: dir });
  const made = path.join(dir, `file.cleaned.${ext}`);
  const left = await lstat(made).catch(() => null);
  if (result.code !== 0 || !left) {
    const why = result.stderr.trim().split('\n').pop()?.replace(/\/out\/file\.\w+/g, 'the file') ?? '';
    return { file: null, note: `mat2 could not clean this file (${clip(why)}). Use the safe copy.` };
  }
  // Copied, never renamed, after openOutput's checks: mat2's folder is the sandbox's /out.
  await copyOutput(made, target, LIMITS.fileBytes);
  return { file: path.basename(target), note: CLEAN_LIMITS };
}

async function readInput(file: string): Promise<Buffer> {
  const info = await lstat(file).catch(() => null);
  if (!info?.isFile()) throw new SafeCopyRefused(`${file}: not a regular file`);
  if (info.size > LIMITS.fileBytes) throw new SafeCopyRefused(`${file}: larger than ${LIMITS.fileBytes / 1e9} GB, the limit`);
  return readFile(file);
}

/** Writes NAME.safe.pdf or NAME.safe.txt, NAME.report.txt (and .json, .ocr.txt, .clean.EXT) into outDir. */
export async function safeCopy(file: string, outDir: string, o: SafeOptions, left = new Leftovers()): Promise<string[]> {
  const bytes = await readInput(file);
  const kind = detect(bytes);
  if (kind.family === 'refused') throw new SafeCopyRefused(`${file}: refused and never opened: ${kind.why}`);
  assertSandbox();
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const ext = EXTENSION[kind.family === 'image' || kind.family === 'office' ? kind.format : kind.family]!;
  const suffixes = ['.safe.pdf', '.safe.txt', '.ocr.txt', `.clean.${ext}`, '.report.txt', '.report.json'];
  const base = safeFileName(path.basename(file)).replace(/\.[^.]{1,8}$/, '') || 'file';
  const stem = uniqueName(base, (s) => suffixes.some((x) => existsSync(path.join(outDir, s + x))));
  const out = (suffix: string) => path.join(outDir, stem + suffix);
  // Listed before they exist (a signal removes them), the folder made synchronously for that.
  const made = suffixes.map(out);
  for (const p of made) left.add(p);
  const work = path.join(outDir, ownedName('work'));
  left.add(work);
  mkdirSync(work, { mode: 0o700 });
  const f = new Findings();
  try {
    const input = path.join(work, `input.${ext}`);
    await writeFile(input, bytes, { mode: 0o600 });
    const [safe, ocr] = kind.family === 'text' ? [await textCopy(bytes, out, f), null] : await pixelCopy(input, kind, bytes, work, out, f, o);
    const clean = o.clean && kind.family !== 'text' ? await cleanCopy(bytes, ext, work, out(`.clean.${ext}`)) : null;
    const report: Report = { original: path.basename(file), type: describe(kind), safeCopy: safe, ocr, clean, findings: f.list, stillPresent: ALWAYS_PRESENT };
    await writeFile(out('.report.txt'), reportText(report), { flag: 'wx', mode: 0o600 });
    if (o.json) await writeFile(out('.report.json'), reportJson(report), { flag: 'wx', mode: 0o600 });
    for (const p of made) left.keep(p);
    return made.filter((p) => existsSync(p));
  } catch (error) {
    await Promise.all(made.map((p) => rm(p, { force: true })));
    throw error;
  } finally {
    await rm(work, { recursive: true, force: true });
    left.keep(work);
  }
}
