import { openZip } from './zip.ts';

// What a file is, from its bytes alone: a source chooses the name, and a name can lie.

export type Kind =
  | { family: 'pdf' }
  | { family: 'image'; format: 'jpeg' | 'png' | 'gif' | 'webp' | 'tiff' | 'heic' }
  | { family: 'office'; format: 'docx' | 'xlsx' | 'pptx' | 'odt' | 'ods' | 'odp' | 'odg' | 'doc' | 'xls' | 'ppt' | 'rtf' }
  | { family: 'text' }
  | { family: 'refused'; why: string };

/** The extension each format is handed to a tool under (tools pick a reader by it). */
export const EXTENSION: Record<string, string> = {
  pdf: 'pdf', jpeg: 'jpg', png: 'png', gif: 'gif', webp: 'webp', tiff: 'tif', heic: 'heic',
  docx: 'docx', xlsx: 'xlsx', pptx: 'pptx', odt: 'odt', ods: 'ods', odp: 'odp', odg: 'odg', doc: 'doc', xls: 'xls', ppt: 'ppt', rtf: 'rtf', text: 'txt',
};

const starts = (b: Buffer, bytes: number[], at = 0) => bytes.every((x, i) => b[at + i] === x);
const ascii = (b: Buffer, s: string, at = 0) => b.toString('latin1', at, at + s.length) === s;

function image(b: Buffer): Kind | null {
  if (starts(b, [0xff, 0xd8, 0xff])) return { family: 'image', format: 'jpeg' };
  if (starts(b, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return { family: 'image', format: 'png' };
  if (ascii(b, 'GIF87a') || ascii(b, 'GIF89a')) return { family: 'image', format: 'gif' };
  if (ascii(b, 'RIFF') && ascii(b, 'WEBP', 8)) return { family: 'image', format: 'webp' };
  if (ascii(b, 'II*\0') || ascii(b, 'MM\0*')) return { family: 'image', format: 'tiff' };
  if (ascii(b, 'ftyp', 4) && ['heic', 'heix', 'hevc', 'hevx', 'mif1', 'msf1'].includes(b.toString('latin1', 8, 12))) return { family: 'image', format: 'heic' };
  return null;
}

const ODF: Record<string, Kind> = {
  'application/vnd.oasis.opendocument.text': { family: 'office', format: 'odt' },
  'application/vnd.oasis.opendocument.spreadsheet': { family: 'office', format: 'ods' },
  'application/vnd.oasis.opendocument.presentation': { family: 'office', format: 'odp' },
  'application/vnd.oasis.opendocument.graphics': { family: 'office', format: 'odg' },
};

function zipped(file: Buffer): Kind {
  let zip: ReturnType<typeof openZip>;
  try {
    zip = openZip(file);
  } catch (error) {
    return { family: 'refused', why: `a ZIP archive that cannot be read (${(error as Error).message})` };
  }
  const odf = ODF[(zip.text('mimetype') ?? '').trim()];
  if (odf) return odf;
  if (zip.names.includes('[Content_Types].xml')) {
    if (zip.names.some((n) => n.startsWith('word/'))) return { family: 'office', format: 'docx' };
    if (zip.names.some((n) => n.startsWith('xl/'))) return { family: 'office', format: 'xlsx' };
    if (zip.names.some((n) => n.startsWith('ppt/'))) return { family: 'office', format: 'pptx' };
  }
  return { family: 'refused', why: 'a ZIP archive that is not an office document: unpack it and make safe copies of what is inside, one by one' };
}

/** Word, Excel and PowerPoint 97-2003 files are OLE compound files: the main stream's name says which. */
function compound(file: Buffer): Kind {
  const has = (name: string) => file.includes(Buffer.from(name, 'utf16le'));
  if (has('WordDocument')) return { family: 'office', format: 'doc' };
  if (has('Workbook') || has('Book\0')) return { family: 'office', format: 'xls' };
  if (has('PowerPoint Document')) return { family: 'office', format: 'ppt' };
  return { family: 'refused', why: 'an OLE compound file that is not a Word, Excel or PowerPoint document' };
}

/** Plain text: UTF-8 or UTF-16 with its byte-order mark, no NUL and no control codes but tab, line ends and form feed. */
export function decodeText(b: Buffer): string | null {
  let text: string;
  try {
    if (starts(b, [0xff, 0xfe])) text = new TextDecoder('utf-16le', { fatal: true }).decode(b.subarray(2));
    else if (starts(b, [0xfe, 0xff])) text = new TextDecoder('utf-16be', { fatal: true }).decode(b.subarray(2));
    else text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(b);
  } catch {
    return null;
  }
  return /[\0-\x08\x0e-\x1f\x7f]/.test(text) ? null : text;
}

export function detect(file: Buffer): Kind {
  if (file.length === 0) return { family: 'refused', why: 'an empty file' };
  if (file.subarray(0, 1024).includes('%PDF-')) return { family: 'pdf' };
  const img = image(file);
  if (img) return img;
  if (starts(file, [0x50, 0x4b, 0x03, 0x04])) return zipped(file);
  if (starts(file, [0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])) return compound(file);
  if (ascii(file, '{\\rtf')) return { family: 'office', format: 'rtf' };
  if (decodeText(file) !== null) return { family: 'text' };
  return { family: 'refused', why: 'not a PDF, an image, an office document or plain text (by its first bytes)' };
}
