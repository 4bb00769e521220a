// The size an image declares in its header, read before any decoder runs: a few hundred bytes can
// declare gigapixels (a decompression bomb). ImageMagick checks again in the sandbox; this gives
// the clear message, as its own refusal says nothing.

function jpegSize(b: Buffer): [number, number] | null {
  for (let at = 2; at + 9 < b.length;) {
    if (b[at] !== 0xff) return null;
    const marker = b[at + 1]!;
    if (marker === 0xff) { at++; continue; }
    // SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC) carry the frame size.
    if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) return [b.readUInt16BE(at + 7), b.readUInt16BE(at + 5)];
    at += 2 + b.readUInt16BE(at + 2);
  }
  return null;
}

function webpSize(b: Buffer): [number, number] | null {
  const chunk = b.toString('latin1', 12, 16);
  if (chunk === 'VP8X' && b.length >= 30) return [1 + b.readUIntLE(24, 3), 1 + b.readUIntLE(27, 3)];
  if (chunk === 'VP8L' && b.length >= 25) {
    const bits = b.readUInt32LE(21);
    return [1 + (bits & 0x3fff), 1 + ((bits >> 14) & 0x3fff)];
  }
  if (chunk === 'VP8 ' && b.length >= 30) return [b.readUInt16LE(26) & 0x3fff, b.readUInt16LE(28) & 0x3fff];
  return null;
}

/** Width and height from the header, or null where this format's header is not read here. */
export function declaredSize(b: Buffer, format: string): [number, number] | null {
  try {
    if (format === 'png') return [b.readUInt32BE(16), b.readUInt32BE(20)];
    if (format === 'gif') return [b.readUInt16LE(6), b.readUInt16LE(8)];
    if (format === 'jpeg') return jpegSize(b);
    if (format === 'webp') return webpSize(b);
  } catch {
    return null;
  }
  return null;
}
