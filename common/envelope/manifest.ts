import { isId } from '../ids.ts';
import { BadManifestError } from './errors.ts';
import { MANIFEST_PAD, manifestLength, paddedSize } from './padding.ts';

export const MANIFEST_FORMAT = 'sealdrop-manifest';
/** Version 2 pads the file to a size class and the manifest to a fixed length; version 1 did neither. */
export const MANIFEST_VERSION = 2;
export const MAX_NAME_LENGTH = 255;
/** Upper bound on parts per submission: 100 000 parts of 4 MiB is ~400 GB, far beyond any drop. */
export const MAX_PARTS = 100_000;

export type Manifest = {
  format: typeof MANIFEST_FORMAT;
  version: 1 | 2;
  submission: string;
  name: string;
  type: string;
  /** The file's own size; the parts hold `paddedSize` bytes, zeros after the first `size`. */
  size: number;
  /** Version 2 only: paddedSize(size). Version 1 submissions were not padded (paddedSize = size). */
  paddedSize?: number;
  partSize: number;
  partCount: number;
  parts: string[];
  /**
   * SHA-256 of the whole file. Absent (version 2) when the sender could not hash it natively: a
   * browser has no incremental SHA-256, and in pure JavaScript without a JIT (Tor Browser "Safer")
   * it runs at about 1.5 MiB/s. The part digests, checked in order, still cover every byte.
   */
  sha256?: string;
};

const KEYS_V1 = ['format', 'version', 'submission', 'name', 'type', 'size', 'partSize', 'partCount', 'parts', 'sha256'];
const KEYS_V2 = [...KEYS_V1, 'paddedSize'];
const HEX64 = /^[0-9a-f]{64}$/;
const MEDIA_TYPE = /^[\w.+-]+\/[\w.+-]+(; ?charset=[\w-]+)?$/;

function fail(why: string): never {
  throw new BadManifestError(`Invalid manifest: ${why}`);
}

function isCount(n: unknown, min: number): n is number {
  return typeof n === 'number' && Number.isSafeInteger(n) && n >= min;
}

/** Parses and strictly validates a decrypted manifest; anything unexpected fails closed. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    fail('not UTF-8 JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) fail('not an object');
  const m = value as Record<string, unknown>;
  if (m.format !== MANIFEST_FORMAT || (m.version !== 1 && m.version !== 2)) fail('unknown format or version');
  const extra = Object.keys(m).filter((k) => !(m.version === 1 ? KEYS_V1 : KEYS_V2).includes(k));
  if (extra.length) fail(`unknown field ${extra[0]}`);
  if (!isId(m.submission)) fail('bad submission id');
  if (typeof m.name !== 'string' || m.name.length > MAX_NAME_LENGTH) fail('bad name');
  if (typeof m.type !== 'string' || !MEDIA_TYPE.test(m.type)) fail('bad media type');
  if (!isCount(m.size, 0) || !isCount(m.partSize, 1) || !isCount(m.partCount, 1)) fail('bad sizes');
  if (m.partCount > MAX_PARTS) fail('too many parts');
  if (!Array.isArray(m.parts) || m.parts.length !== m.partCount) fail('part list does not match part count');
  if (!m.parts.every((h) => typeof h === 'string' && HEX64.test(h))) fail('bad part digest');
  if ((m.version === 1 || m.sha256 !== undefined) && (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256))) fail('bad file digest');
  if (m.version === 2) checkPadding(m as Manifest, bytes);
  const expectedParts = Math.max(1, Math.ceil(storedSize(m as Manifest) / m.partSize));
  if (expectedParts !== m.partCount) fail('part count does not match size');
  return m as Manifest;
}

/** A v2 manifest says how far the zeros run and is itself exactly its padded length. */
function checkPadding(m: Manifest, bytes: Uint8Array): void {
  if (m.paddedSize !== paddedSize(m.size)) fail('padded size does not match the size class');
  if (bytes.length !== manifestLength(m.partCount)) fail('not padded to its fixed length');
}

/** The bytes the parts hold together: the file and, from version 2, its padding. */
export function storedSize(m: Manifest): number {
  return m.paddedSize ?? m.size;
}

/** The manifest as JSON followed by spaces up to its fixed length (version 2). */
export function serializeManifest(manifest: Manifest): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(manifest));
  const length = manifestLength(manifest.partCount);
  if (json.length > length) throw new BadManifestError('Invalid manifest: longer than its padded length.');
  const out = new Uint8Array(length).fill(MANIFEST_PAD);
  out.set(json);
  return out;
}

/** Media types are only a hint for the journalist; anything odd becomes application/octet-stream. */
export function normaliseMediaType(type: string): string {
  return MEDIA_TYPE.test(type) && type.length <= 100 ? type : 'application/octet-stream';
}

/** Keeps the name a person chose but trims it to a length every filesystem accepts. */
export function normaliseName(name: string): string {
  let out = '';
  for (const ch of name.normalize('NFC')) {
    if (out.length + ch.length > MAX_NAME_LENGTH) break;
    out += ch;
  }
  return out;
}
