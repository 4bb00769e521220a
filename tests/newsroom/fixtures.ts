import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, deflateRawSync, deflateSync } from 'node:zlib';
import jpeg from 'jpeg-js';

// Hostile and identifying files, made here from nothing: PDFs written object by object, office
// documents zipped from XML written here, images from pixels made here (exiftool, from Debian,
// plants the camera tags and the thumbnail).

/** A PDF from object bodies (1-based), with a correct cross-reference table. */
export function pdfOf(objects: string[], trailerExtra = ''): Buffer {
  let body = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((o, i) => {
    offsets.push(Buffer.byteLength(body, 'latin1'));
    body += `${i + 1} 0 obj\n${o}\nendobj\n`;
  });
  const xref = Buffer.byteLength(body, 'latin1');
  body += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n${offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`).join('')}`;
  body += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R ${trailerExtra}>>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(body, 'latin1');
}

const stream = (text: string) => `<< /Length ${text.length} >>\nstream\n${text}\nendstream`;

/** Big black text and a box, with JavaScript, an OpenAction, a Launch action, an attachment, a link and an author. */
export function hostilePdf(): Buffer {
  const content = 'BT /F1 48 Tf 72 600 Td (SEALDROP TEST) Tj ET 0 0 1 rg 72 300 300 150 re f';
  return pdfOf([
    '<< /Type /Catalog /Pages 2 0 R /OpenAction 5 0 R /Names << /JavaScript << /Names [(a) 5 0 R] >> /EmbeddedFiles << /Names [(secret.txt) 8 0 R] >> >> >>',
    '<< /Type /Pages /Count 1 /Kids [3 0 R] >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 6 0 R >> >> /Annots [7 0 R 10 0 R] >>',
    stream(content),
    '<< /Type /Action /S /JavaScript /JS (app.alert\\("planted-javascript"\\)) >>',
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
    '<< /Type /Annot /Subtype /Link /Rect [72 580 500 660] /A << /S /URI /URI (https://tracker.example/planted-uri) >> >>',
    '<< /Type /Filespec /F (secret.txt) /EF << /F 9 0 R >> >>',
    '<< /Type /EmbeddedFile /Length 15 >>\nstream\nplanted-payload\nendstream',
    '<< /Type /Annot /Subtype /Link /Rect [72 300 372 450] /A << /S /Launch /F (calc.exe) >> >>',
    '<< /Author (Planted Author) /Creator (Planted Creator 9.1) /Producer (Planted Producer 2.0) /CreationDate (D:20240102030405Z) >>',
  ], '/Info 11 0 R ');
}

/** A PDF of `pages` pages, all sharing one small content stream (a page-count bomb at 100,000). */
export function manyPagesPdf(pages: number): Buffer {
  const kids = Array.from({ length: pages }, (_, i) => `${i + 4} 0 R`).join(' ');
  const page = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] /Contents 3 0 R >>';
  return pdfOf(['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Count ${pages} /Kids [${kids}] >>`, stream('0 0 0 rg 20 20 160 160 re f'), ...Array(pages).fill(page)]);
}

/** One page of 14,400 x 14,400 points (200 inches a side): 900 megapixels at 150 DPI. */
export function pixelBombPdf(): Buffer {
  return pdfOf(['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Count 1 /Kids [3 0 R] >>', '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 14400 14400] /Contents 4 0 R >>', stream('0 0 0 rg 0 0 100 100 re f')]);
}

/** A ZIP (deflated entries) from names and contents, in order. */
export function zipOf(files: [string, string | Buffer][]): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, content] of files) {
    const data = Buffer.from(content);
    const packed = name === 'mimetype' ? data : deflateRawSync(data);
    const n = Buffer.from(name);
    const head = Buffer.alloc(30);
    head.writeUInt32LE(0x04034b50, 0);
    head.writeUInt16LE(20, 4);
    head.writeUInt16LE(name === 'mimetype' ? 0 : 8, 8);
    head.writeUInt32LE(crc32(data), 14);
    head.writeUInt32LE(packed.length, 18);
    head.writeUInt32LE(data.length, 22);
    head.writeUInt16LE(n.length, 26);
    const dir = Buffer.alloc(46);
    dir.writeUInt32LE(0x02014b50, 0);
    dir.writeUInt16LE(20, 4);
    dir.writeUInt16LE(20, 6);
    head.copy(dir, 8, 6, 30);
    dir.writeUInt32LE(offset, 42);
    locals.push(head, n, packed);
    central.push(dir, n);
    offset += 30 + n.length + packed.length;
  }
  const size = central.reduce((s, b) => s + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(size, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...central, end]);
}

/** Solid pixels with a black bar, as a PNG or JPEG; optionally a faint yellow dot grid. */
export function rgbImage(width: number, height: number, dotPitch = 0): Buffer {
  const rgba = Buffer.alloc(width * height * 4, 255);
  for (let y = Math.floor(height / 3); y < Math.floor(height / 2); y++) {
    for (let x = Math.floor(width / 5); x < Math.floor((width * 4) / 5); x++) rgba.fill(0, (y * width + x) * 4, (y * width + x) * 4 + 3);
  }
  if (dotPitch) {
    for (let y = 10; y < height - 10; y += dotPitch) for (let x = 10; x < width - 10; x += dotPitch) rgba.set([250, 245, 150], (y * width + x) * 4);
  }
  return rgba;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** A PNG (RGB) from RGBA pixels, with tEXt chunks. */
export function pngOf(width: number, height: number, rgba: Buffer, text: Record<string, string> = {}): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgba.copy(raw, y * (width * 3 + 1) + 1 + x * 3, (y * width + x) * 4, (y * width + x) * 4 + 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  const texts = Object.entries(text).map(([k, v]) => chunk('tEXt', Buffer.from(`${k}\0${v}`, 'latin1')));
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), ...texts, chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}

/** A PNG that declares 60,000 x 60,000 pixels (3.6 gigapixels) in a few hundred bytes. */
export function pixelBombPng(): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(60_000, 0);
  ihdr.writeUInt32BE(60_000, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(Buffer.alloc(60_001 * 3 * 10))), chunk('IEND', Buffer.alloc(0))]);
}

/** A JPEG with GPS, camera make, model and serial, and a thumbnail that shows what a crop removed. */
export function cameraJpeg(dir: string): Buffer {
  const file = path.join(dir, 'camera.jpg');
  const thumb = path.join(dir, 'thumb.jpg');
  writeFileSync(file, jpeg.encode({ data: rgbImage(320, 240), width: 320, height: 240 }, 90).data);
  writeFileSync(thumb, jpeg.encode({ data: Buffer.alloc(80 * 60 * 4, 128), width: 80, height: 60 }, 80).data);
  execFileSync('exiftool', ['-q', '-overwrite_original', '-Make=PlantedMake', '-Model=PlantedModel X1', '-SerialNumber=SN-PLANTED-4242',
    '-GPSLatitude=39.9042', '-GPSLatitudeRef=N', '-GPSLongitude=116.4074', '-GPSLongitudeRef=E', '-DateTimeOriginal=2024:01:02 03:04:05', `-ThumbnailImage<=${thumb}`, file]);
  return readFileSync(file);
}

/** A real small JPEG whose frame header is rewritten to declare 65,000 x 65,000 pixels. */
export function pixelBombJpeg(): Buffer {
  const b = Buffer.from(jpeg.encode({ data: rgbImage(16, 16), width: 16, height: 16 }, 80).data);
  const sof = b.indexOf(Buffer.from([0xff, 0xc0]));
  b.writeUInt16BE(65_000, sof + 5);
  b.writeUInt16BE(65_000, sof + 7);
  return b;
}
