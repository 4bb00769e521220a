import fc from 'fast-check';
import { expect, test } from 'vitest';
import { cleanImage, ImageError } from '../../server/branding/image.ts';
import { pngChunk } from '../helpers/png.ts';

// The logo cleaner reads files an administrator uploads (and an attacker who took an admin
// session): any bytes must end in a clean image or an ImageError, never a crash or a hang.
const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const chunk = pngChunk;
const ihdr = chunk('IHDR', Buffer.from([0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]));
const png = (...middle: Buffer[]) => Buffer.concat([PNG, ihdr, ...middle, chunk('IDAT', Buffer.from([1, 2, 3])), chunk('IEND', Buffer.alloc(0))]);

test('a PNG keeps only what draws it: text, time, EXIF and private chunks go', () => {
  const dirty = png(chunk('tEXt', Buffer.from('Author\0Jane')), chunk('eXIf', Buffer.from('MM\0*GPS')), chunk('tIME', Buffer.alloc(7)), chunk('prVt', Buffer.from('x')));
  const clean = cleanImage(dirty);
  expect(clean.type).toBe('image/png');
  expect(clean.bytes.equals(png())).toBe(true);
});

test('a JPEG loses its APPn and comment segments, inside and after its scans, and anything after its end', () => {
  const seg = (marker: number, data: string) => Buffer.concat([Buffer.from([0xff, marker, 0, data.length + 2]), Buffer.from(data, 'latin1')]);
  const scan = Buffer.from([0x12, 0xff, 0x00, 0x34, 0xff, 0xd3, 0x56]); // stuffed 0xFF and a restart marker are data
  const body = [seg(0xdb, 'Q'), seg(0xc0, 'F'), seg(0xc4, 'H'), seg(0xda, 'S'), scan];
  const dirty = Buffer.concat([Buffer.from([0xff, 0xd8]), seg(0xe1, 'Exif\0\0GPS'), ...body, seg(0xfe, 'comment'), seg(0xda, 'S'), scan, Buffer.from([0xff, 0xd9]), Buffer.from('trailing ZIP')]);
  const clean = cleanImage(dirty);
  expect(clean.bytes.equals(Buffer.concat([Buffer.from([0xff, 0xd8]), ...body, seg(0xda, 'S'), scan, Buffer.from([0xff, 0xd9])]))).toBe(true);
});

test('hostile bytes end in an ImageError, never another failure', () => {
  const starts = fc.constantFrom(PNG, Buffer.from([0xff, 0xd8]), png(), Buffer.alloc(0));
  fc.assert(
    fc.property(starts, fc.uint8Array({ maxLength: 300 }), fc.nat({ max: 400 }), (start, tail, cut) => {
      const data = Buffer.concat([start, Buffer.from(tail)]).subarray(0, Math.max(0, start.length + tail.length - (cut % 50)));
      try {
        cleanImage(data);
      } catch (error) {
        expect(error).toBeInstanceOf(ImageError);
      }
    }),
    { numRuns: 3000 },
  );
});
