import { AnnotationMode, getDocument } from 'pdfjs-dist';
import * as pdfjsWorker from 'pdfjs-dist/build/pdf.worker.mjs';
import { declaredImageSize } from '../../common/image-size.ts';
import { VIEW_LIMITS } from './limits.ts';

// Hostile bytes become canvases here, inside the sandboxed frame. pdf.js parses the PDF with its
// worker's code running in this same frame (its "fake worker": worker-src is 'none'), eval off,
// no font loading (glyphs drawn as paths), no annotation or form layer, no text layer, no
// scripting (only pdf.js's viewer runs a PDF's JavaScript, and it is not here), no network (the
// bytes are given). Images are decoded by the browser (createImageBitmap) after their declared
// size is checked.

(globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = pdfjsWorker;

export type Drawn = { canvases: HTMLCanvasElement[]; total: number };

export class TooLargeError extends Error {
  override name = 'TooLargeError';
}

function canvasOf(width: number, height: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const context = canvas.getContext('2d', { alpha: false })!;
  context.fillStyle = '#fff';
  context.fillRect(0, 0, width, height);
  return [canvas, context];
}

export async function drawPdf(bytes: Uint8Array): Promise<Drawn> {
  const task = getDocument({ data: bytes, isEvalSupported: false, disableFontFace: true, useSystemFonts: false, enableXfa: false, disableAutoFetch: true, disableStream: true, disableRange: true, stopAtErrors: false });
  const doc = await task.promise;
  try {
    const shown = Math.min(doc.numPages, VIEW_LIMITS.maxPages);
    const canvases: HTMLCanvasElement[] = [];
    for (let n = 1; n <= shown; n++) {
      const page = await doc.getPage(n);
      let viewport = page.getViewport({ scale: VIEW_LIMITS.pdfScale });
      const area = viewport.width * viewport.height;
      // A huge page is drawn smaller rather than refused: the pixels stay within the cap.
      if (area > VIEW_LIMITS.maxPixels) viewport = page.getViewport({ scale: VIEW_LIMITS.pdfScale * Math.sqrt(VIEW_LIMITS.maxPixels / area) });
      const [canvas, canvasContext] = canvasOf(Math.max(1, Math.floor(viewport.width)), Math.max(1, Math.floor(viewport.height)));
      canvas.dataset.dpi = String(72 * viewport.scale);
      // The print intent draws without requestAnimationFrame, which Chromium stops in a frame scrolled out of view.
      await page.render({ canvas, canvasContext, viewport, intent: 'print', annotationMode: AnnotationMode.DISABLE }).promise;
      page.cleanup();
      canvases.push(canvas);
    }
    return { canvases, total: doc.numPages };
  } finally {
    await task.destroy();
  }
}

export async function drawImage(bytes: Uint8Array): Promise<Drawn> {
  const declared = declaredImageSize(bytes);
  if (declared && declared[0] * declared[1] > VIEW_LIMITS.maxPixels) throw new TooLargeError(`${declared[0]} x ${declared[1]}`);
  const bitmap = await createImageBitmap(new Blob([bytes as BlobPart]), { imageOrientation: 'from-image' });
  try {
    if (bitmap.width * bitmap.height > VIEW_LIMITS.maxPixels) throw new TooLargeError(`${bitmap.width} x ${bitmap.height}`);
    const [canvas, context] = canvasOf(bitmap.width, bitmap.height);
    context.drawImage(bitmap, 0, 0);
    return { canvases: [canvas], total: 1 };
  } finally {
    bitmap.close();
  }
}
