// A PDF that holds only images, assembled from already-compressed image streams: a catalog, a
// page tree, and per page one /Image XObject drawn by a one-line content stream. Nothing else: no
// fonts, no text, no metadata, no /Info, no actions, links, forms, annotations or attachments.
// It runs everywhere (no node:): the CLI's safe copy (newsroom/safe/pdf-writer.ts, Flate pixels)
// and the journalist page's Safe view (JPEG pixels from its canvases) both write through it.
// Each call returns the bytes to append, so a writer holds at most one page.

export type ImageStream = {
  width: number;
  height: number;
  /** DCTDecode: JPEG bytes; FlateDecode: zlib-compressed 8-bit RGB samples. */
  filter: 'DCTDecode' | 'FlateDecode';
  data: Uint8Array;
  /** The page's size in points (1/72 inch). */
  widthPt: number;
  heightPt: number;
};

const latin1 = (text: string): Uint8Array => Uint8Array.from(text, (c) => c.charCodeAt(0) & 0xff);

export class ImagePdf {
  private offsets: number[] = [];
  private pages: number[] = [];
  private at = 0;

  private chunk(parts: (string | Uint8Array)[]): Uint8Array[] {
    const out = parts.map((p) => (typeof p === 'string' ? latin1(p) : p));
    for (const p of out) this.at += p.length;
    return out;
  }

  private object(n: number, head: string, stream?: Uint8Array): Uint8Array[] {
    this.offsets[n] = this.at;
    if (!stream) return this.chunk([`${n} 0 obj\n${head}\nendobj\n`]);
    return this.chunk([`${n} 0 obj\n${head}\nstream\n`, stream, '\nendstream\nendobj\n']);
  }

  /** The header; objects 1 and 2 (catalog, page tree) are written last, once the pages are known. */
  begin(): Uint8Array[] {
    return this.chunk(['%PDF-1.4\n%\xe2\xe3\xcf\xd3\n']);
  }

  page(image: ImageStream): Uint8Array[] {
    const { width, height, filter, data } = image;
    if (!(Number.isSafeInteger(width) && Number.isSafeInteger(height) && width > 0 && height > 0)) throw new Error('an image without a size');
    const n = 3 + this.pages.length * 3;
    const w = image.widthPt.toFixed(2);
    const h = image.heightPt.toFixed(2);
    const draw = latin1(`q ${w} 0 0 ${h} 0 0 cm /I Do Q`);
    const parts = [
      ...this.object(n, `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /${filter} /Length ${data.length} >>`, data),
      ...this.object(n + 1, `<< /Length ${draw.length} >>`, draw),
      ...this.object(n + 2, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /I ${n} 0 R >> >> /Contents ${n + 1} 0 R >>`),
    ];
    this.pages.push(n + 2);
    return parts;
  }

  get pageCount(): number {
    return this.pages.length;
  }

  end(): Uint8Array[] {
    const parts = [
      ...this.object(1, '<< /Type /Catalog /Pages 2 0 R >>'),
      ...this.object(2, `<< /Type /Pages /Count ${this.pages.length} /Kids [${this.pages.map((p) => `${p} 0 R`).join(' ')}] >>`),
    ];
    const xref = this.at;
    const rows = this.offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
    return [...parts, ...this.chunk([`xref\n0 ${this.offsets.length}\n0000000000 65535 f \n${rows}trailer\n<< /Size ${this.offsets.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`])];
  }
}
