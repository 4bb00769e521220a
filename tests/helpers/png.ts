import { constants, crc32, deflateRawSync, deflateSync } from 'node:zlib';

/** A PNG chunk with its CRC (to build test images, or hide metadata in a real one). */
export function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export type Ihdr = { width: number; height: number; depth?: number; colorType?: number; interlace?: number };

export function ihdrChunk({ width, height, depth = 8, colorType = 6, interlace = 0 }: Ihdr): Buffer {
  const body = Buffer.alloc(13);
  body.writeUInt32BE(width, 0);
  body.writeUInt32BE(height, 4);
  body.set([depth, colorType, 0, 0, interlace], 8);
  return pngChunk('IHDR', body);
}

/** A PNG file: signature, header, the chunks given (in order), end. */
export const pngFile = (ihdr: Ihdr, ...chunks: Buffer[]) => Buffer.concat([PNG_SIGNATURE, ihdrChunk(ihdr), ...chunks, pngChunk('IEND', Buffer.alloc(0))]);

/** The pixel data of an 8-bit RGBA image, rows unfiltered (filter byte 0), deflated: made here, not by the library under test. */
export function rgbaIdat(width: number, rgba: Buffer): Buffer {
  const rows: Buffer[] = [];
  for (let y = 0; y * width * 4 < rgba.length; y++) rows.push(Buffer.from([0]), rgba.subarray(y * width * 4, (y + 1) * width * 4));
  return deflateSync(Buffer.concat(rows));
}

/**
 * A zlib stream of `mib` MiB of zeros, about 1 KiB per MiB, made without holding the zeros: one
 * MiB deflated with a full flush (which resets the compressor, so every copy is the same bytes
 * and stands alone), repeated, then an empty final block and the Adler-32 of that many zeros.
 */
export function zerosZlib(mib: number): Buffer {
  const segment = deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: constants.Z_FULL_FLUSH });
  const adler = Buffer.alloc(4);
  adler.writeUInt16BE((mib * (1 << 20)) % 65521, 0); // b grows by a per byte, and a stays 1 over zeros
  adler.writeUInt16BE(1, 2);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(mib).fill(segment), Buffer.from([0x03, 0x00]), adler]);
}

const jpegSof = (marker: number, w: number, h: number) => Buffer.from([0xff, marker, 0, 17, 8, h >> 8, h & 255, w >> 8, w & 255, 3, 1, 0x11, 0, 2, 0x11, 1, 3, 0x11, 1]);
const JPEG_SCAN = Buffer.concat([Buffer.from([0xff, 0xda, 0, 8, 1, 1, 0, 0, 0, 0]), Buffer.alloc(64, 0x55)]);

/**
 * Logos made to cost a decoder dearly, each under the 256 KiB upload limit: a 190 KiB PNG that
 * declares 40,000 × 40,000 pixels (6.4 GB as RGBA) over 188 MiB of zeros; 1024 × 1024 PNGs, plain
 * and interlaced, whose zlib stream inflates to 188 MiB where 4.2 MB are due; a 2 × 1 PNG with a
 * second header that declares 40,000 × 40,000; a JPEG that declares
 * 40,000 × 40,000; and a 1024 × 1024 progressive JPEG of 2,000 scans.
 */
export function logoBombs(): Record<string, Buffer> {
  const zeros = pngChunk('IDAT', zerosZlib(188));
  const jpegOf = (...parts: Buffer[]) => Buffer.concat([Buffer.from([0xff, 0xd8]), ...parts, Buffer.from([0xff, 0xd9])]);
  return {
    png40k: pngFile({ width: 40_000, height: 40_000 }, zeros),
    pngInflates: pngFile({ width: 1024, height: 1024 }, zeros),
    pngInterlacedInflates: pngFile({ width: 1024, height: 1024, interlace: 1 }, zeros),
    pngSecondHeader: pngFile({ width: 2, height: 1 }, ihdrChunk({ width: 40_000, height: 40_000 }), pngChunk('IDAT', rgbaIdat(2, Buffer.alloc(8, 255)))),
    jpeg40k: jpegOf(jpegSof(0xc0, 40_000, 40_000), JPEG_SCAN),
    jpegScans: jpegOf(jpegSof(0xc2, 1024, 1024), ...Array<Buffer>(2000).fill(JPEG_SCAN)),
  };
}

/** A TIFF (EXIF) block whose IFD0 points to a GPS IFD: latitude 48° 51' 30" N. */
export function gpsExif(): Buffer {
  const tiff = Buffer.alloc(80);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4); // IFD0
  tiff.writeUInt16BE(1, 8);
  tiff.writeUInt16BE(0x8825, 10); // GPSInfo, LONG, 1, offset 26
  tiff.writeUInt16BE(4, 12);
  tiff.writeUInt32BE(1, 14);
  tiff.writeUInt32BE(26, 18);
  tiff.writeUInt16BE(2, 26); // GPS IFD: two entries
  tiff.set([0, 1, 0, 2, 0, 0, 0, 2, 0x4e, 0, 0, 0], 28); // GPSLatitudeRef, ASCII, "N"
  tiff.set([0, 2, 0, 5, 0, 0, 0, 3, 0, 0, 0, 56], 40); // GPSLatitude, 3 RATIONALs at 56
  [48, 1, 51, 1, 30, 1].forEach((v, i) => tiff.writeUInt32BE(v, 56 + 4 * i));
  return tiff;
}
