import type { FileHandle } from 'node:fs/promises';
import { deflateSync } from 'node:zlib';
import { ImagePdf } from '../../common/image-pdf.ts';

// The safe PDF is written here from raw RGB pixels, through common/image-pdf.ts (shared with the
// journalist page's Safe view): per page one /Image XObject (FlateDecode) and nothing else, no
// byte of the original. Pages are written as they come, so memory holds one page.

export type Pixels = { width: number; height: number; rgb: Buffer };

export class PdfWriter {
  private pdf = new ImagePdf();

  constructor(private readonly out: FileHandle, private readonly dpi: number) {}

  private async put(parts: Uint8Array[]): Promise<void> {
    for (const part of parts) await this.out.write(part);
  }

  async begin(): Promise<void> {
    await this.put(this.pdf.begin());
  }

  async page({ width, height, rgb }: Pixels): Promise<void> {
    if (rgb.length !== width * height * 3) throw new Error('a page whose pixels do not match its size');
    const [widthPt, heightPt] = [(width * 72) / this.dpi, (height * 72) / this.dpi];
    await this.put(this.pdf.page({ width, height, filter: 'FlateDecode', data: deflateSync(rgb, { level: 6 }), widthPt, heightPt }));
  }

  get pageCount(): number {
    return this.pdf.pageCount;
  }

  async end(): Promise<void> {
    await this.put(this.pdf.end());
  }
}
