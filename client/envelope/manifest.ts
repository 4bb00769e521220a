import { BadManifestError } from './errors.ts';

export const MANIFEST_FORMAT = 'sealdrop-manifest';
export const MANIFEST_VERSION = 1;
export const MAX_NAME_LENGTH = 255;
/** Upper bound on parts per submission: 100 000 parts of 4 MiB is ~400 GB, far beyond any drop. */
export const MAX_PARTS = 100_000;

export type Manifest = {
  format: typeof MANIFEST_FORMAT;
  version: typeof MANIFEST_VERSION;
  submission: string;
  name: string;
  type: string;
  size: number;
  partSize: number;
  partCount: number;
  parts: string[];
  sha256: string;
};

const KEYS = ['format', 'version', 'submission', 'name', 'type', 'size', 'partSize', 'partCount', 'parts', 'sha256'];
const HEX64 = /^[0-9a-f]{64}$/;
const SUBMISSION_ID = /^[0-9a-f]{32}$/;
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
  const extra = Object.keys(m).filter((k) => !KEYS.includes(k));
  if (extra.length) fail(`unknown field ${extra[0]}`);
  if (m.format !== MANIFEST_FORMAT || m.version !== MANIFEST_VERSION) fail('unknown format or version');
  if (typeof m.submission !== 'string' || !SUBMISSION_ID.test(m.submission)) fail('bad submission id');
  if (typeof m.name !== 'string' || m.name.length > MAX_NAME_LENGTH) fail('bad name');
  if (typeof m.type !== 'string' || !MEDIA_TYPE.test(m.type)) fail('bad media type');
  if (!isCount(m.size, 0) || !isCount(m.partSize, 1) || !isCount(m.partCount, 1)) fail('bad sizes');
  if (m.partCount > MAX_PARTS) fail('too many parts');
  if (!Array.isArray(m.parts) || m.parts.length !== m.partCount) fail('part list does not match part count');
  if (!m.parts.every((h) => typeof h === 'string' && HEX64.test(h))) fail('bad part digest');
  if (typeof m.sha256 !== 'string' || !HEX64.test(m.sha256)) fail('bad file digest');
  const expectedParts = Math.max(1, Math.ceil(m.size / m.partSize));
  if (expectedParts !== m.partCount) fail('part count does not match size');
  return m as Manifest;
}

export function serializeManifest(manifest: Manifest): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(manifest));
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
