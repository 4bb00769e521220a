// A newsroom's logo is shown to every source: whatever the file carried besides pixels (camera
// and GPS EXIF, XMP, ICC profiles, the author's name in a text chunk, an edit time, animation
// frames, a palette, bytes hidden after the image data) must not go with it, and the picture
// must cost every source's browser little to decode. So the file is decoded, within bounds
// checked before decoding (pixels.ts, png.ts, jpeg.ts), and a new file is encoded from the pixels
// alone. This runs in a worker thread (rebuild.ts), never on the event loop.
import { decodeJpeg, encodeJpeg, isJpeg } from './jpeg.ts';
import { ImageError, MAX_SIDE, type Pixels } from './pixels.ts';
import { decodePng, encodePng, isPng } from './png.ts';

export { ImageError, MAX_SIDE };

/** The most a rebuilt logo may weigh: it reaches every source over Tor, beside a page of about 100 KiB. */
export const MAX_LOGO_OUTPUT = 128 * 1024;

export type CleanImage = { type: 'image/png' | 'image/jpeg'; bytes: Buffer };

/**
 * A new PNG (from a PNG) or JPEG (from a JPEG) holding the same picture and nothing else;
 * anything else, anything damaged and anything too large ends in an ImageError, never another error.
 */
export function cleanImage(data: Buffer): CleanImage {
  const png = isPng(data);
  if (!png && !isJpeg(data)) throw new ImageError('The logo must be a PNG or JPEG image.');
  const pixels = png ? decodePng(data) : decodeJpeg(data);
  // The decoders are trusted for nothing: what they return must be the picture the header declared.
  if (pixels.width > MAX_SIDE || pixels.height > MAX_SIDE || pixels.rgba.length !== pixels.width * pixels.height * 4) {
    throw new ImageError('The logo could not be read whole.');
  }
  const bytes = encode(png, pixels);
  if (bytes.length > MAX_LOGO_OUTPUT) {
    throw new ImageError(`Rebuilt, the logo is ${Math.ceil(bytes.length / 1024)} KiB; it may be at most ${MAX_LOGO_OUTPUT / 1024} KiB. Use a smaller picture.`);
  }
  return { type: png ? 'image/png' : 'image/jpeg', bytes };
}

function encode(png: boolean, pixels: Pixels): Buffer {
  try {
    return png ? encodePng(pixels) : encodeJpeg(pixels);
  } catch {
    throw new ImageError('The logo could not be rebuilt.');
  }
}
