import { describe, expect, test } from 'vitest';
import { decodeText, detect } from '../../newsroom/safe/detect.ts';
import { declaredImageSize as declaredSize } from '../../common/image-size.ts';
import { hostilePdf, pixelBombJpeg, pixelBombPng, zipOf } from './fixtures.ts';
import { plantedDocx, plantedOdt } from './office-fixtures.ts';

// The type comes from the bytes: a name can lie, and a wrong guess hands a file to the wrong tool.

const b = (s: string) => Buffer.from(s, 'latin1');
const ole = (stream: string) => Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(500), Buffer.from(stream, 'utf16le')]);

describe('detect', () => {
  test.each([
    ['PDF', hostilePdf(), { family: 'pdf' }],
    ['PDF after junk (readers accept 1 KB of it)', Buffer.concat([Buffer.alloc(300, 0x20), hostilePdf()]), { family: 'pdf' }],
    ['JPEG', pixelBombJpeg(), { family: 'image', format: 'jpeg' }],
    ['PNG', pixelBombPng(), { family: 'image', format: 'png' }],
    ['GIF', b('GIF89a\x10\x00\x10\x00'), { family: 'image', format: 'gif' }],
    ['WebP', b('RIFF\x00\x00\x00\x00WEBPVP8 '), { family: 'image', format: 'webp' }],
    ['TIFF', b('II*\x00\x08\x00\x00\x00'), { family: 'image', format: 'tiff' }],
    ['HEIC', b('\x00\x00\x00\x18ftypheic\x00\x00\x00\x00'), { family: 'image', format: 'heic' }],
    ['DOCX', plantedDocx(), { family: 'office', format: 'docx' }],
    ['ODT', plantedOdt(), { family: 'office', format: 'odt' }],
    ['DOC', ole('WordDocument'), { family: 'office', format: 'doc' }],
    ['XLS', ole('Workbook'), { family: 'office', format: 'xls' }],
    ['PPT', ole('PowerPoint Document'), { family: 'office', format: 'ppt' }],
    ['RTF', b('{\\rtf1\\ansi hello}'), { family: 'office', format: 'rtf' }],
    ['UTF-8 text', Buffer.from('Grüße, 你好\n'), { family: 'text' }],
  ])('%s', (_name, bytes, kind) => {
    expect(detect(bytes)).toEqual(kind);
  });

  test.each([
    ['an empty file', Buffer.alloc(0), /empty/],
    ['a ZIP of other files', zipOf([['a.txt', 'x']]), /ZIP archive that is not an office document/],
    ['an OLE file of another kind (an Outlook message)', ole('__substg1.0_0037001F'), /OLE compound file that is not/],
    ['a program', b('\x7fELF\x02\x01\x01\x00\x00\x00'), /not a PDF, an image/],
    ['text with NUL bytes', b('text\x00more'), /not a PDF, an image/],
    ['a damaged ZIP', b('PK\x03\x04 nothing else'), /ZIP archive that cannot be read/],
  ])('refuses %s', (_name, bytes, why) => {
    const kind = detect(bytes);
    expect(kind.family).toBe('refused');
    expect(kind.family === 'refused' && kind.why).toMatch(why);
  });

  test('text: UTF-16 with its mark is decoded; invalid UTF-8 is not text', () => {
    expect(decodeText(Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('\u0000h\u0000i', 'latin1')]))).toBe('hi');
    expect(decodeText(b('caf\xe9'))).toBeNull();
  });

  test('declared sizes are read from headers before any decoder', () => {
    expect(declaredSize(pixelBombPng(), 'png')).toEqual([60_000, 60_000]);
    expect(declaredSize(pixelBombJpeg(), 'jpeg')).toEqual([65_000, 65_000]);
    expect(declaredSize(b('GIF89a\x10\x27\x20\x4e'), 'gif')).toEqual([10_000, 20_000]);
  });
});
