import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

// Independent checks of a safe PDF: qpdf (not our writer) parses it, and poppler renders it.

export const FORBIDDEN = ['/JS', '/JavaScript', '/OpenAction', '/AA', '/Launch', '/EmbeddedFile', '/EmbeddedFiles', '/URI', '/AcroForm', '/Annots', '/Font', '/Info', '/Metadata', '/Names', '/Outlines', '/XFA'];

type QpdfObject = { value?: unknown; stream?: { dict: Record<string, unknown>; data?: string } };

/** What qpdf finds: every name (dictionary key or value), the content streams' text, and the image count. */
export function inspectPdf(file: string): { keys: Set<string>; contents: string[]; images: number; pages: number } {
  const json = JSON.parse(execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', file], { maxBuffer: 1 << 30 }).toString('utf8'));
  const objects = json.qpdf[1] as Record<string, QpdfObject>;
  const keys = new Set<string>();
  const collect = (v: unknown): void => {
    if (typeof v === 'string' && v.startsWith('/')) keys.add(v);
    else if (Array.isArray(v)) v.forEach(collect);
    else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) (k.startsWith('/') && keys.add(k), collect(x));
  };
  const contents: string[] = [];
  let images = 0;
  let pages = 0;
  for (const [name, o] of Object.entries(objects)) {
    if (name === 'trailer') collect(o.value);
    if (o.value) collect(o.value);
    if ((o.value as Record<string, unknown> | undefined)?.['/Type'] === '/Page') pages++;
    if (!o.stream) continue;
    collect(o.stream.dict);
    if (o.stream.dict['/Subtype'] === '/Image') images++;
    else contents.push(Buffer.from(o.stream.data ?? '', 'base64').toString('latin1'));
  }
  return { keys, contents, images, pages };
}

/** Grey pixels of page 1 at `dpi`, by pdftoppm. */
export function renderGrey(pdf: string, dpi: number): { width: number; height: number; grey: Buffer } {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealdrop-render-'));
  try {
    execFileSync('pdftoppm', ['-r', String(dpi), '-f', '1', '-l', '1', '-gray', pdf, path.join(dir, 'p')]);
    const data = readFileSync(path.join(dir, readdirSync(dir)[0]!));
    const m = /^P5\s+(\d+)\s+(\d+)\s+255\s/.exec(data.toString('latin1', 0, 40))!;
    return { width: Number(m[1]), height: Number(m[2]), grey: data.subarray(m[0].length) };
  } finally {
    rmSync(dir, { recursive: true });
  }
}

/** Mean absolute difference (0-255) between two renderings of the same size. */
export function meanDifference(a: Buffer, b: Buffer): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
