import { inflateRawSync } from 'node:zlib';

// A small ZIP reader for the report (DOCX, XLSX, PPTX and ODF are ZIPs of XML parts): it reads the
// central directory only, and inflates a part with a hard cap on its size, so a zip bomb costs at
// most that cap. Only memory-safe JavaScript touches these bytes here; conversions run in the sandbox.

export const PART_CAP = 16 * 1024 * 1024;
const MAX_ENTRIES = 20_000;

export type ZipEntry = { name: string; method: number; compressed: number; size: number; offset: number };

export class ZipError extends Error {
  override name = 'ZipError';
}

function endOfDirectory(zip: Buffer): number {
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 65_535); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) return i;
  }
  throw new ZipError('no ZIP central directory');
}

/** The entries the central directory lists (names as written; nothing is trusted for paths). */
export function zipEntries(zip: Buffer): ZipEntry[] {
  const end = endOfDirectory(zip);
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  if (count > MAX_ENTRIES) throw new ZipError(`more than ${MAX_ENTRIES} entries`);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.length || zip.readUInt32LE(at) !== 0x02014b50) throw new ZipError('a damaged central directory');
    const nameLength = zip.readUInt16LE(at + 28);
    const skip = nameLength + zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      method: zip.readUInt16LE(at + 10),
      compressed: zip.readUInt32LE(at + 20),
      size: zip.readUInt32LE(at + 24),
      offset: zip.readUInt32LE(at + 42),
    });
    at += 46 + skip;
  }
  return entries;
}

/** One part's bytes, at most PART_CAP of them (a larger part is cut there). */
export function zipPart(zip: Buffer, entry: ZipEntry): Buffer {
  const at = entry.offset;
  if (at + 30 > zip.length || zip.readUInt32LE(at) !== 0x04034b50) throw new ZipError(`a damaged entry (${entry.name})`);
  const start = at + 30 + zip.readUInt16LE(at + 26) + zip.readUInt16LE(at + 28);
  const data = zip.subarray(start, Math.min(zip.length, start + entry.compressed));
  if (entry.method === 0) return data.subarray(0, PART_CAP);
  if (entry.method !== 8) throw new ZipError(`an unknown compression (${entry.name})`);
  try {
    return inflateRawSync(data, { maxOutputLength: PART_CAP });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') throw new ZipError(`a part over ${PART_CAP} bytes (${entry.name})`);
    throw new ZipError(`a damaged part (${entry.name})`);
  }
}

/** A reader over one archive: text of a named part, or null when absent or unreadable. */
export function openZip(zip: Buffer): { names: string[]; text(name: string): string | null } {
  const entries = zipEntries(zip);
  const byName = new Map(entries.map((e) => [e.name, e]));
  return {
    names: entries.map((e) => e.name),
    text(name) {
      const entry = byName.get(name);
      if (!entry) return null;
      try {
        return zipPart(zip, entry).toString('utf8');
      } catch {
        return null;
      }
    },
  };
}
