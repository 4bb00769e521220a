import { readdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { LIMITS } from './limits.ts';
import type { Pixels } from './pdf-writer.ts';
import { openOutput } from './take-out.ts';

// Pixels come back from the sandbox as PPM (P6) or PGM (P5) files. A renderer that was taken over
// could write anything there, so each file is read as untrusted too: the header is parsed
// strictly, the size checked against the pixel limit before the body is read, and the body must
// be exactly width x height samples. It is opened by openOutput: a plain file, never a link.

export class PixelLimitError extends Error {
  override name = 'PixelLimitError';
}

const HEADER = /^(P[56])\s+(\d{1,6})\s+(\d{1,6})\s+255\s/;

/** The largest pixel file a page may be: a header and 100 megapixels of RGB. */
const PNM_MAX_BYTES = 64 + LIMITS.maxPixels * 3;

export async function readPnm(file: string): Promise<Pixels> {
  const handle = await openOutput(file, PNM_MAX_BYTES);
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, 64, 0);
    const m = HEADER.exec(head.subarray(0, bytesRead).toString('latin1'));
    if (!m) throw new Error('a renderer wrote something other than pixels');
    const [width, height] = [Number(m[2]), Number(m[3])];
    if (width < 1 || height < 1 || width * height > LIMITS.maxPixels) throw new PixelLimitError(`a page of ${width} x ${height} pixels is above the limit of ${LIMITS.maxPixels / 1e6} megapixels`);
    const channels = m[1] === 'P6' ? 3 : 1;
    const body = Buffer.alloc(width * height * channels);
    const read = (await handle.read(body, 0, body.length, m[0].length)).bytesRead;
    if (read !== body.length) throw new Error('a renderer wrote a short page');
    if (channels === 3) return { width, height, rgb: body };
    const rgb = Buffer.alloc(width * height * 3);
    for (let i = 0; i < body.length; i++) rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = body[i]!;
    return { width, height, rgb };
  } finally {
    await handle.close();
  }
}

/** The pixel files a run left in dir, in page order, each removed once read. */
export async function* drainPages(dir: string): AsyncGenerator<Pixels> {
  const names = (await readdir(dir)).filter((n) => /\.p[pg]m$/.test(n)).sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
  for (const name of names) {
    const pixels = await readPnm(path.join(dir, name));
    await rm(path.join(dir, name));
    yield pixels;
  }
}
