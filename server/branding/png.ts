import { PNG, type ColorType } from 'pngjs';
import { crc32, inflateSync } from 'node:zlib';
import { ImageError, MAX_SIDE, type Pixels } from './pixels.ts';

// A PNG is read in two steps. First its chunks are walked and its header read, and the pixel
// data is inflated with a ceiling of exactly the size the header implies: a header that declares
// more than MAX_SIDE on a side, or a zlib stream that inflates past (or short of) what the header
// says, is refused before pngjs allocates anything. (pngjs bounds the inflation of a plain PNG
// itself, but inflates an interlaced one without any bound.) Only then does pngjs decode a PNG
// rebuilt from the chunks that draw (nothing after the zlib stream, no ancillary chunk).

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// Samples per pixel for each colour type, and the bit depths each allows (PNG 1.2, table 11.1).
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
// Adam7 passes: first column, first row, column step, row step.
const ADAM7 = [[0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2]] as const;

type Header = { width: number; height: number; depth: number; colorType: number; interlaced: boolean };

export const isPng = (data: Buffer) => data.subarray(0, 8).equals(SIGNATURE);

/** The pixels of a PNG (as 8-bit RGBA), refused with an ImageError unless small and whole. */
export function decodePng(data: Buffer): Pixels {
  const { header, draws, idat } = walk(data);
  const expected = inflatedSize(header);
  let stream: Buffer;
  try {
    const { buffer, engine } = inflateSync(idat, { maxOutputLength: expected, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
    if (buffer.length !== expected) throw new ImageError('The PNG\'s pixel data is shorter than its header says.');
    stream = idat.subarray(0, engine.bytesWritten); // whatever follows the zlib stream is left behind
  } catch (error) {
    throw error instanceof ImageError ? error : new ImageError('The PNG\'s pixel data is damaged, or holds more than its header says.');
  }
  try {
    // pngjs is given only the chunks that draw the picture: header, palette, transparency, data.
    const png = PNG.sync.read(Buffer.concat([SIGNATURE, ...draws, chunk('IDAT', stream), chunk('IEND', Buffer.alloc(0))]));
    return { width: png.width, height: png.height, rgba: png.data };
  } catch {
    throw new ImageError('The PNG is damaged.');
  }
}

/** Walks the chunks to IEND, checking each CRC; returns the header, the chunks that draw and the pixel data. */
function walk(data: Buffer): { header: Header; draws: Buffer[]; idat: Buffer } {
  const draws: Buffer[] = [];
  const idat: Buffer[] = [];
  let header: Header | null = null;
  for (let offset = 8; ; ) {
    if (offset + 12 > data.length) throw new ImageError('The PNG is cut short.');
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (!/^[A-Za-z]{4}$/.test(type) || end > data.length || crc32(data.subarray(offset + 4, end - 4)) !== data.readUInt32BE(end - 4)) throw new ImageError('The PNG is damaged.');
    const body = data.subarray(offset + 8, end - 4);
    if (header && (type === 'IHDR' || (type !== 'IDAT' && draws.some((d) => d.toString('latin1', 4, 8) === type)))) throw new ImageError(`The PNG has a second ${type} chunk.`);
    header ??= readHeader(type, body);
    if (type === 'IHDR' || type === 'PLTE' || type === 'tRNS') draws.push(data.subarray(offset, end));
    else if (type === 'IDAT') idat.push(body);
    else if (type === 'IEND') return { header, draws, idat: Buffer.concat(idat) };
    else if (!/^[a-z]/.test(type)) throw new ImageError(`The PNG needs a chunk this server does not read (${type}).`);
    offset = end;
  }
}

function chunk(type: string, body: Buffer): Buffer {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, 'latin1');
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

function readHeader(type: string, body: Buffer): Header {
  if (type !== 'IHDR' || body.length !== 13) throw new ImageError('The PNG does not start with its header.');
  const [width, height] = [body.readUInt32BE(0), body.readUInt32BE(4)];
  const [depth, colorType, compression, filter, interlace] = [body[8]!, body[9]!, body[10]!, body[11]!, body[12]!];
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) {
    throw new ImageError(`The PNG is ${width} × ${height} pixels; a logo may be at most ${MAX_SIDE} × ${MAX_SIDE}.`);
  }
  if (!DEPTHS[colorType]?.includes(depth) || compression !== 0 || filter !== 0 || interlace > 1) throw new ImageError('The PNG\'s header is not valid.');
  return { width, height, depth, colorType, interlaced: interlace === 1 };
}

/** Bytes the pixel data inflates to: each row of each pass, plus its filter byte. */
function inflatedSize(h: Header): number {
  const rowBytes = (width: number) => Math.ceil((width * CHANNELS[h.colorType]! * h.depth) / 8) + 1;
  if (!h.interlaced) return h.height * rowBytes(h.width);
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const [w, rows] = [Math.ceil((h.width - x0) / dx), Math.ceil((h.height - y0) / dy)];
    if (w > 0 && rows > 0) total += rows * rowBytes(w);
  }
  return total;
}

/** A new PNG of these pixels alone: one header, one data chunk, the end; grey or opaque images drop the channels they do not use. */
export function encodePng({ width, height, rgba }: Pixels): Buffer {
  let grey = true;
  let opaque = true;
  for (let i = 0; i < rgba.length && (grey || opaque); i += 4) {
    grey &&= rgba[i] === rgba[i + 1] && rgba[i] === rgba[i + 2];
    opaque &&= rgba[i + 3] === 255;
  }
  const colorType = ((grey ? 0 : 2) | (opaque ? 0 : 4)) as ColorType;
  // A bare object, not a PNG: it carries no gamma, so pngjs writes no gAMA chunk.
  const image = { width, height, data: rgba } as unknown as PNG;
  return PNG.sync.write(image, { colorType, inputColorType: 6, inputHasAlpha: true, bitDepth: 8, deflateLevel: 9 });
}
