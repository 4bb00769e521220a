// A newsroom's logo is shown to every source: whatever the file carried besides pixels (camera
// and GPS EXIF, XMP, the author's name in a text chunk, an edit time) must not go with it. The
// image is rebuilt from the chunks or segments that draw it, and anything malformed is refused.

/** Not a PNG or JPEG this server will show, or one it cannot read whole. */
export class ImageError extends Error {
  override name = 'ImageError';
}

export type CleanImage = { type: 'image/png' | 'image/jpeg'; bytes: Buffer };

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
// What draws a PNG: header, palette and transparency, pixels, end. Text, time, EXIF, ICC and the rest go.
const PNG_KEEP = new Set(['IHDR', 'PLTE', 'tRNS', 'IDAT', 'IEND']);

export function cleanImage(data: Buffer): CleanImage {
  if (data.subarray(0, 8).equals(PNG_SIGNATURE)) return { type: 'image/png', bytes: cleanPng(data) };
  if (data[0] === 0xff && data[1] === 0xd8) return { type: 'image/jpeg', bytes: cleanJpeg(data) };
  throw new ImageError('The logo must be a PNG or JPEG image.');
}

function cleanPng(data: Buffer): Buffer {
  const kept: Buffer[] = [PNG_SIGNATURE];
  let offset = 8;
  let ended = false;
  while (!ended) {
    if (offset + 12 > data.length) throw new ImageError('The PNG is cut short.');
    const length = data.readUInt32BE(offset);
    const type = data.toString('latin1', offset + 4, offset + 8);
    const end = offset + 12 + length;
    if (!/^[A-Za-z]{4}$/.test(type) || end > data.length) throw new ImageError('The PNG is damaged.');
    if (kept.length === 1 && type !== 'IHDR') throw new ImageError('The PNG does not start with its header.');
    if (PNG_KEEP.has(type)) kept.push(data.subarray(offset, end));
    else if (!/^[a-z]/.test(type)) throw new ImageError(`The PNG needs a chunk this server does not show (${type}).`);
    ended = type === 'IEND';
    offset = end;
  }
  return Buffer.concat(kept);
}

// JPEG markers that draw the image: frame headers, tables, restart interval. APPn (EXIF, XMP,
// ICC, Photoshop) and comments are dropped; the entropy-coded data after SOS is copied as is.
const isFrame = (m: number) => m >= 0xc0 && m <= 0xcf && m !== 0xc4 && m !== 0xc8 && m !== 0xcc;
const JPEG_TABLES = new Set([0xc4, 0xcc, 0xdb, 0xdd]);

function cleanJpeg(data: Buffer): Buffer {
  const kept: Buffer[] = [data.subarray(0, 2)];
  let offset = 2;
  for (;;) {
    if (offset + 2 > data.length || data[offset] !== 0xff) throw new ImageError('The JPEG is damaged.');
    const marker = data[offset + 1]!;
    if (marker === 0xd9) return Buffer.concat([...kept, data.subarray(offset, offset + 2)]); // end: anything after it goes
    if (offset + 4 > data.length) throw new ImageError('The JPEG is cut short.');
    const end = offset + 2 + data.readUInt16BE(offset + 2);
    if (end <= offset + 3 || end > data.length) throw new ImageError('The JPEG is cut short.');
    if (isFrame(marker) || JPEG_TABLES.has(marker) || marker === 0xda) kept.push(data.subarray(offset, end));
    else if (!(marker >= 0xe0 && marker <= 0xef) && marker !== 0xfe) throw new ImageError('The JPEG holds a part this server does not show.');
    offset = marker === 0xda ? scanEnd(data, end, kept) : end;
  }
}

/** Copies a scan's entropy-coded data (stuffed 0xFF00 and restart markers are data) and returns where the next marker starts. */
function scanEnd(data: Buffer, start: number, kept: Buffer[]): number {
  let i = start;
  while (i + 1 < data.length && !(data[i] === 0xff && data[i + 1] !== 0x00 && (data[i + 1]! < 0xd0 || data[i + 1]! > 0xd7))) i++;
  if (i + 1 >= data.length) throw new ImageError('The JPEG has no end.');
  kept.push(data.subarray(start, i));
  return i;
}
