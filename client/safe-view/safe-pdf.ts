import { ImagePdf } from '../../common/image-pdf.ts';
import { VIEW_LIMITS } from './limits.ts';

// The safe PDF, from the canvases' pixels only: each page re-encoded as a JPEG by the browser and
// written by common/image-pdf.ts. No byte of the original goes into it.

const blobOf = (canvas: HTMLCanvasElement) =>
  new Promise<Blob>((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('toBlob'))), 'image/jpeg', VIEW_LIMITS.jpegQuality));

/** PDF bytes; `dpi`: the pixels per inch the canvases were drawn at (a canvas's data-dpi wins), so pages keep their size. */
export async function safePdf(canvases: HTMLCanvasElement[], dpi: number): Promise<ArrayBuffer> {
  const pdf = new ImagePdf();
  const parts: Uint8Array[] = [...pdf.begin()];
  for (const canvas of canvases) {
    const data = new Uint8Array(await (await blobOf(canvas)).arrayBuffer());
    const at = Number(canvas.dataset.dpi) || dpi;
    const [widthPt, heightPt] = [(canvas.width * 72) / at, (canvas.height * 72) / at];
    parts.push(...pdf.page({ width: canvas.width, height: canvas.height, filter: 'DCTDecode', data, widthPt, heightPt }));
  }
  parts.push(...pdf.end());
  return new Blob(parts as BlobPart[]).arrayBuffer();
}
