import type { FileHandle } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';

// The safe PDF is written here, byte by byte, from raw RGB pixels: a catalog, a page tree, and per
// page one /Image XObject (FlateDecode) drawn by a two-line content stream. Nothing else: no
// fonts, no text, no metadata, no /Info, no actions, links, forms, annotations or attachments,
// and no byte of the original. Pages are written as they come, so memory holds one page.

export type Pixels = { width: number; height: number; rgb: Buffer };

export class PdfWriter {
  private offsets: number[] = [];
  private pages: number[] = [];
  private at = 0;

  constructor(private readonly out: FileHandle, private readonly dpi: number) {}

  private async put(data: string | Buffer): Promise<void> {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'latin1') : data;
    await this.out.write(bytes);
    this.at += bytes.length;
  }

  private async object(n: number, head: string, stream?: Buffer): Promise<void> {
    this.offsets[n] = this.at;
    if (!stream) return this.put(`${n} 0 obj\n${head}\nendobj\n`);
    await this.put(`${n} 0 obj\n${head}\nstream\n`);
    await this.put(stream);
    await this.put('\nendstream\nendobj\n');
  }

  async begin(): Promise<void> {
    // Objects 1 and 2 (catalog, page tree) are written last, once the pages are known.
    await this.put('%PDF-1.4\n%\xe2\xe3\xcf\xd3\n');
  }

  async page({ width, height, rgb }: Pixels): Promise<void> {
    if (rgb.length !== width * height * 3) throw new Error('a page whose pixels do not match its size');
    const n = 3 + this.pages.length * 3;
    const w = ((width * 72) / this.dpi).toFixed(2);
    const h = ((height * 72) / this.dpi).toFixed(2);
    const data = deflateSync(rgb, { level: 6 });
    await this.object(n, `<< /Type /XObject /Subtype /Image /Width ${width} /Height ${height} /ColorSpace /DeviceRGB /BitsPerComponent 8 /Filter /FlateDecode /Length ${data.length} >>`, data);
    const draw = Buffer.from(`q ${w} 0 0 ${h} 0 0 cm /I Do Q`, 'latin1');
    await this.object(n + 1, `<< /Length ${draw.length} >>`, draw);
    await this.object(n + 2, `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 ${w} ${h}] /Resources << /XObject << /I ${n} 0 R >> >> /Contents ${n + 1} 0 R >>`);
    this.pages.push(n + 2);
  }

  get pageCount(): number {
    return this.pages.length;
  }

  async end(): Promise<void> {
    await this.object(1, '<< /Type /Catalog /Pages 2 0 R >>');
    await this.object(2, `<< /Type /Pages /Count ${this.pages.length} /Kids [${this.pages.map((p) => `${p} 0 R`).join(' ')}] >>`);
    const xref = this.at;
    const rows = this.offsets.slice(1).map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('');
    await this.put(`xref\n0 ${this.offsets.length}\n0000000000 65535 f \n${rows}trailer\n<< /Size ${this.offsets.length} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`);
  }
}
