import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { expect, test } from 'vitest';
import { cleanImage, ImageError, MAX_LOGO_OUTPUT } from '../../server/branding/image.ts';
import { pngChunk, pngFile, rgbaIdat } from '../helpers/png.ts';

// The logo is decoded and re-encoded from files an administrator uploads (and an attacker who
// took an admin session): any bytes must end in a clean image or an ImageError, never a crash or a hang.
const rgba = Buffer.from(Array.from({ length: 3 * 2 * 4 }, (_, i) => (i % 4 === 3 ? 255 : i * 10)));
const goodPng = pngFile({ width: 3, height: 2 }, pngChunk('IDAT', rgbaIdat(3, rgba)));
const goodJpeg = jpeg.encode({ width: 16, height: 16, data: Buffer.alloc(16 * 16 * 4, 200) }, 80).data;

test('a PNG keeps only what draws it: text, time, EXIF and private chunks go, the pixels stay', () => {
  const dirty = pngFile({ width: 3, height: 2 }, pngChunk('tEXt', Buffer.from('Author\0Jane')), pngChunk('eXIf', Buffer.from('MM\0*GPS')), pngChunk('tIME', Buffer.alloc(7)), pngChunk('prVt', Buffer.from('x')), pngChunk('IDAT', rgbaIdat(3, rgba)));
  const clean = cleanImage(dirty);
  expect(clean.type).toBe('image/png');
  expect(clean.bytes.includes(Buffer.from('Jane'))).toBe(false);
  expect(clean.bytes.includes(Buffer.from('GPS'))).toBe(false);
  expect(PNG.sync.read(clean.bytes).data.equals(rgba)).toBe(true);
});

test('an opaque grey picture is written as grey: the rebuilt file stays small', () => {
  const grey = Buffer.from(Array.from({ length: 3 * 2 * 4 }, (_, i) => (i % 4 === 3 ? 255 : (i >> 2) * 40)));
  const clean = cleanImage(pngFile({ width: 3, height: 2 }, pngChunk('IDAT', rgbaIdat(3, grey))));
  expect(clean.bytes[25]).toBe(0); // colour type 0: one grey sample per pixel
  expect(PNG.sync.read(clean.bytes).data.equals(grey)).toBe(true);
});

test('a JPEG is re-encoded: its APPn and comment segments, inside and after its scans, and anything after its end go', () => {
  const seg = (marker: number, data: string) => Buffer.concat([Buffer.from([0xff, marker, 0, data.length + 2]), Buffer.from(data, 'latin1')]);
  const dirty = Buffer.concat([goodJpeg.subarray(0, 2), seg(0xe1, 'Exif\0\0GPS'), seg(0xfe, 'comment'), goodJpeg.subarray(2), Buffer.from('trailing ZIP')]);
  const clean = cleanImage(dirty);
  expect(clean.type).toBe('image/jpeg');
  for (const gone of ['Exif', 'GPS', 'comment', 'ZIP']) expect(clean.bytes.includes(Buffer.from(gone))).toBe(false);
  expect(jpeg.decode(clean.bytes).width).toBe(16);
});

test('a side of 1024 pixels is taken, 1025 refused before decoding', () => {
  const line = (width: number) => pngFile({ width, height: 1 }, pngChunk('IDAT', rgbaIdat(width, Buffer.alloc(width * 4, 255))));
  expect(PNG.sync.read(cleanImage(line(1024)).bytes).width).toBe(1024);
  expect(() => cleanImage(line(1025))).toThrow(new ImageError('The PNG is 1025 × 1 pixels; a logo may be at most 1024 × 1024.'));
  const tall = jpeg.encode({ width: 8, height: 1025, data: Buffer.alloc(8 * 1025 * 4, 90) }, 80).data;
  expect(() => cleanImage(tall)).toThrow(new ImageError('The JPEG is 8 × 1025 pixels; a logo may be at most 1024 × 1024.'));
});

test('a picture too large to send to every source is refused, however it was compressed', () => {
  const noise = randomBytes(400 * 400 * 4); // noise does not compress: about 600 KiB as PNG
  const png = pngFile({ width: 400, height: 400 }, pngChunk('IDAT', rgbaIdat(400, noise)));
  expect(() => cleanImage(png)).toThrow(ImageError);
  expect(() => cleanImage(png)).toThrow(new RegExp(`^Rebuilt, the logo is \\d+ KiB; it may be at most ${MAX_LOGO_OUTPUT / 1024} KiB`));
});

test('hostile bytes end in an ImageError or a valid re-encoded image, never another failure, in bounded time', () => {
  const starts = fc.constantFrom(goodPng.subarray(0, 8), Buffer.from([0xff, 0xd8]), goodPng, goodJpeg, Buffer.alloc(0));
  let slowest = 0;
  fc.assert(
    fc.property(starts, fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 400 }), fc.nat(), (start, tail, cut, flip) => {
      const data = Buffer.concat([start, Buffer.from(tail)]).subarray(0, Math.max(0, start.length + tail.length - (cut % 50)));
      if (data.length > 0 && flip % 3 === 0) data[flip % data.length] = data[flip % data.length]! ^ (1 << (flip % 8)); // a flipped bit inside a good image
      const started = process.cpuUsage(); // CPU, not wall-clock time: a loaded machine does not count
      try {
        const clean = cleanImage(data);
        const decoded = clean.type === 'image/png' ? PNG.sync.read(clean.bytes) : jpeg.decode(clean.bytes);
        expect(decoded.width * decoded.height).toBeGreaterThan(0);
      } catch (error) {
        expect(error).toBeInstanceOf(ImageError);
      }
      const used = process.cpuUsage(started);
      slowest = Math.max(slowest, (used.user + used.system) / 1000);
    }),
    { numRuns: 3000 },
  );
  // CPU: a few ms each, 67 ms the slowest of 3,000 measured; the bound is for a hang, not a benchmark.
  expect(slowest).toBeLessThan(2_000);
});
