import jpeg from 'jpeg-js';
import { ImageError, MAX_SIDE, type Pixels } from './pixels.ts';

// A JPEG's frame header is read first, by walking its segments: one that declares more than
// MAX_SIDE on a side, a coding jpeg-js does not read (lossless, hierarchical, arithmetic), or more
// scans than any encoder makes for a picture this size is refused before jpeg-js allocates
// anything. jpeg-js then decodes it under its own limits on pixels and memory, strictly.

const isFrameMarker = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const READABLE = new Set([0xc0, 0xc1, 0xc2]); // baseline, extended and progressive Huffman
// Each scan costs a pass over the picture: libjpeg's progressive default uses 10, a few encoders up to ~20.
const MAX_SCANS = 64;
const QUALITY = 90;

export const isJpeg = (data: Buffer) => data[0] === 0xff && data[1] === 0xd8;

/** The pixels of a JPEG (as 8-bit RGBA), refused with an ImageError unless small and whole. */
export function decodeJpeg(data: Buffer): Pixels {
  checkFrame(data);
  let scans = 0;
  for (let i = data.indexOf(0xff); i !== -1 && scans <= MAX_SCANS; i = data.indexOf(0xff, i + 1)) if (data[i + 1] === 0xda) scans++;
  if (scans > MAX_SCANS) throw new ImageError(`The JPEG has more than ${MAX_SCANS} scans.`);
  try {
    const image = jpeg.decode(data, { useTArray: true, formatAsRGBA: true, tolerantDecoding: false, maxResolutionInMP: (MAX_SIDE * MAX_SIDE) / 1e6, maxMemoryUsageInMB: 64 });
    // Only the pixels are taken: jpeg-js also returns the EXIF block and comments, which go.
    return { width: image.width, height: image.height, rgba: Buffer.from(image.data.buffer, image.data.byteOffset, image.data.length) };
  } catch {
    throw new ImageError('The JPEG is damaged, or uses a feature this server does not read.');
  }
}

/** Walks the segments before the first scan to the frame header and checks it. */
function checkFrame(data: Buffer): void {
  for (let offset = 2; ; ) {
    if (offset + 4 > data.length || data[offset] !== 0xff) throw new ImageError('The JPEG is damaged or cut short.');
    const marker = data[offset + 1]!;
    if (marker === 0xff) {
      offset++; // a fill byte
      continue;
    }
    const end = offset + 2 + data.readUInt16BE(offset + 2);
    if (end < offset + 4 || end > data.length) throw new ImageError('The JPEG is damaged or cut short.');
    if (isFrameMarker(marker)) return readFrame(marker, data.subarray(offset + 4, end));
    if (marker === 0xda || (marker >= 0xd0 && marker <= 0xd9) || marker === 0x01) throw new ImageError('The JPEG has no frame header before its data.');
    offset = end;
  }
}

function readFrame(marker: number, body: Buffer): void {
  if (!READABLE.has(marker)) throw new ImageError('The JPEG uses a coding this server does not read (lossless, hierarchical or arithmetic); save it as a baseline or progressive JPEG.');
  if (body.length < 6) throw new ImageError('The JPEG\'s frame header is not valid.');
  const [precision, height, width, components] = [body[0]!, body.readUInt16BE(1), body.readUInt16BE(3), body[5]!];
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new ImageError(`The JPEG is ${width} × ${height} pixels; a logo may be at most ${MAX_SIDE} × ${MAX_SIDE}.`);
  }
  if (precision !== 8 || ![1, 3, 4].includes(components) || body.length !== 6 + 3 * components) throw new ImageError('The JPEG\'s frame header is not valid.');
}

/** A new baseline JPEG of these pixels alone (jpeg-js adds only the JFIF header: no EXIF, no comment). */
export function encodeJpeg({ width, height, rgba }: Pixels): Buffer {
  return jpeg.encode({ width, height, data: rgba }, QUALITY).data;
}
