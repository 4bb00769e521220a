import type { Store } from '../store/index.ts';
import { ImageError, MAX_LOGO_OUTPUT, MAX_SIDE } from './image.ts';
import { encodeJpeg } from './jpeg.ts';
import { LogoBusyError, LogoTimeoutError, rebuildLogo } from './rebuild.ts';

// Before logos were rebuilt, uploads were copied chunk by chunk: a logo stored then may declare
// 40,000 × 40,000 pixels or hide bytes after its zlib stream, and an upgrade must not keep
// serving it. So when the listeners start, a stored logo is passed through the same rebuild once
// (in its worker, before the first source gets it): unchanged if it was made by the rebuild,
// replaced by its rebuilt pixels if not, and removed if the rebuild refuses it, as an upload would
// have been (the administrator sees no logo and can upload it again). Until that is done, and
// if the rebuild could not run at all, the logo is not served.

// Re-encoding a JPEG is lossy, so one the rebuild made must not be rebuilt at every start; but a
// forged or hand-edited database (or a restored backup) can store any bytes behind jpeg-js's JFIF
// header. So a stored JPEG is served as it is only if it is, byte for byte, the shape the rebuild
// emits: jpeg-js's fixed headers (JFIF, its quality-90 tables, its Huffman tables, one scan) with
// only the frame's size changed and within MAX_SIDE, then entropy-coded data in which every 0xFF
// is stuffed (jpeg-js writes no restart marker), then EOI as the very last two bytes, at most
// MAX_LOGO_OUTPUT in all. No EXIF, comment, second frame or trailing byte fits that shape. (What
// the scan encodes is pixels, which whoever wrote the database chose anyway.)

let template: { header: Buffer; size: number } | undefined;
/** jpeg-js's output up to its scan's data (the same for every picture but for the frame's height and width), and where those are. */
function rebuiltJpegHeader(): { header: Buffer; size: number } {
  if (!template) {
    const one = encodeJpeg({ width: 1, height: 1, rgba: Buffer.alloc(4) });
    const sos = one.indexOf(Buffer.from([0xff, 0xda]));
    // SOF0, its length (17: three components), 8-bit precision, then height and width (1 × 1 here).
    const size = one.indexOf(Buffer.from([0xff, 0xc0, 0x00, 0x11, 0x08, 0x00, 0x01, 0x00, 0x01])) + 5;
    template = { header: one.subarray(0, sos + 2 + one.readUInt16BE(sos + 2)), size };
  }
  return template;
}

/** Whether `bytes` is exactly the shape of a JPEG the rebuild emits. Bounded: one pass over at most MAX_LOGO_OUTPUT bytes. */
export function isRebuiltJpeg(bytes: Buffer): boolean {
  const { header, size } = rebuiltJpegHeader();
  if (bytes.length > MAX_LOGO_OUTPUT || bytes.length < header.length + 2) return false;
  const height = bytes.readUInt16BE(size);
  const width = bytes.readUInt16BE(size + 2);
  if (width === 0 || height === 0 || width > MAX_SIDE || height > MAX_SIDE) return false;
  const expected = Buffer.from(header);
  expected.writeUInt16BE(height, size);
  expected.writeUInt16BE(width, size + 2);
  if (!bytes.subarray(0, header.length).equals(expected)) return false;
  const end = bytes.length - 2;
  if (bytes[end] !== 0xff || bytes[end + 1] !== 0xd9) return false;
  for (let i = bytes.indexOf(0xff, header.length); i !== -1 && i < end; i = bytes.indexOf(0xff, i + 2)) if (bytes[i + 1] !== 0x00) return false;
  return true;
}

const checks = new WeakMap<Store, Promise<boolean>>();

/** Whether the stored logo may be served (waits for the check at start-up, which runs once per store). */
export function logoServable(store: Store): Promise<boolean> {
  let check = checks.get(store);
  if (!check) {
    check = recheck(store);
    checks.set(store, check);
  }
  return check;
}

/** An upload (rebuilt) or a removal makes the stored logo servable as it is. */
export const logoChanged = (store: Store) => void checks.set(store, Promise.resolve(true));

async function recheck(store: Store): Promise<boolean> {
  const logo = store.settings.logo();
  if (!logo || (logo.type === 'image/jpeg' && isRebuiltJpeg(logo.bytes))) return true;
  const stillStored = () => store.settings.logo()?.bytes.equals(logo.bytes) === true;
  try {
    const rebuilt = await rebuildWhenFree(logo.bytes);
    // Lossless for a PNG: the rebuild of a rebuilt PNG is the same bytes, and nothing is written.
    if (!rebuilt.bytes.equals(logo.bytes) && stillStored()) store.settings.setLogo(rebuilt);
    return true;
  } catch (error) {
    if (error instanceof ImageError && !(error instanceof LogoTimeoutError) && stillStored()) {
      store.settings.setLogo(null);
      return true;
    }
    return false;
  }
}

/** Waits its turn rather than being refused: an upload may be rebuilding at that moment. */
async function rebuildWhenFree(bytes: Buffer, tries = 50): ReturnType<typeof rebuildLogo> {
  try {
    return await rebuildLogo(bytes);
  } catch (error) {
    if (!(error instanceof LogoBusyError) || tries <= 1) throw error;
    await new Promise((resolve) => setTimeout(resolve, 200));
    return rebuildWhenFree(bytes, tries - 1);
  }
}
