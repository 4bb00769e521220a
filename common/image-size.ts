// The size an image declares in its header, read before any decoder runs: a few hundred bytes can
// declare gigapixels (a decompression bomb). Used by the CLI's safe copy (before ImageMagick, which
// checks again in its sandbox) and by the journalist page's Safe view (before the browser decodes).
// No node: here, so it runs in both.

export type ImageFormat = 'png' | 'gif' | 'jpeg' | 'webp';

const u16be = (b: Uint8Array, at: number) => (b[at]! << 8) | b[at + 1]!;
const u16le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8);
const u24le = (b: Uint8Array, at: number) => b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16);
const u32be = (b: Uint8Array, at: number) => ((b[at]! << 24) >>> 0) + ((b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!);
const u32le = (b: Uint8Array, at: number) => (u16le(b, at) + u16le(b, at + 2) * 65536) >>> 0;
const ascii = (b: Uint8Array, from: number, to: number) => String.fromCharCode(...b.subarray(from, to));

function jpegSize(b: Uint8Array): [number, number] | null {
  for (let at = 2; at + 9 < b.length;) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (marker === 0xff) { at++; continue; }
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return [u16be(b, at + 7), u16be(b, at + 5)];
    at += 2 + u16be(b, at + 2);
  }
  return null;
}

function webpSize(b: Uint8Array): [number, number] | null {
  const chunk = ascii(b, 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return [1 + u24le(b, 24), 1 + u24le(b, 27)];
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = u32le(b, 21);
    return [1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff)];
  }
  if (chunk === 'VP8 ' && b.length >= 30) return [u16le(b, 26) & 0x3fff, u16le(b, 28) & 0x3fff];
  return null;
}

/** The format by its first bytes, among those whose header is read here. */
export function imageFormat(b: Uint8Array): ImageFormat | null {
  if (b.length >= 24 && b[0] === 0x89 && ascii(b, 1, 4) === 'PNG') return 'png';
  if (b.length >= 10 && ascii(b, 0, 4) === 'GIF8') return 'gif';
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 16 && ascii(b, 0, 4) === 'RIFF' && ascii(b, 8, 12) === 'WEBP') return 'webp';
  return null;
}

/** Width and height from the header, or null where this format's header is not read here. */
export function declaredImageSize(b: Uint8Array, format: string | null = imageFormat(b)): [number, number] | null {
  if (format === 'png' && b.length >= 24) return [u32be(b, 16), u32be(b, 20)];
  if (format === 'gif' && b.length >= 10) return [u16le(b, 6), u16le(b, 8)];
  if (format === 'jpeg') return jpegSize(b);
  if (format === 'webp') return webpSize(b);
  return null;
}
