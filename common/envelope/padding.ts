// Stored sizes must not confirm which document was sent: a leak investigator holding the file
// knows its exact size. Files are padded (inside the encryption) to a size class, manifests to a
// length that depends only on the part count.

/** Small files and messages all look the same size: their length would otherwise say a lot. */
export const MIN_PADDED_SIZE = 4096;

/**
 * Padmé (Nikitin et al., "Reducing Metadata Leakage from Encrypted Files and Communication with
 * PURBs", 2019): keeps only the top bits of the size, at most about 6% overhead above 4 KiB, and
 * leaves O(log log size) bits of the size visible.
 */
export function paddedSize(size: number): number {
  if (!Number.isSafeInteger(size) || size < 0) throw new RangeError('A size is a whole number of bytes.');
  if (size <= MIN_PADDED_SIZE) return MIN_PADDED_SIZE;
  const e = size.toString(2).length - 1; // floor(log2 size), exactly
  const s = e.toString(2).length; // floor(log2 e) + 1
  const unit = 2 ** (e - s);
  return Math.ceil(size / unit) * unit;
}

/** JSON whitespace may follow the manifest object; gpg -d output stays valid JSON. */
export const MANIFEST_PAD = 0x20;
const BUCKET = 1024;

/**
 * The plaintext length every v2 manifest with this many parts is padded to: the length of the
 * largest manifest that could be written for it (longest escaped name, longest media type,
 * largest numbers), rounded up to a bucket. Nothing about the name shows in the stored size.
 */
export function manifestLength(partCount: number): number {
  const worst = {
    format: 'sealdrop-manifest',
    version: 2,
    submission: '0'.repeat(32),
    name: '\u0001'.repeat(255), // every character escaped as \u0001: six bytes each
    type: 'x'.repeat(100),
    size: Number.MAX_SAFE_INTEGER,
    paddedSize: Number.MAX_SAFE_INTEGER,
    partSize: Number.MAX_SAFE_INTEGER,
    partCount: Number.MAX_SAFE_INTEGER,
    parts: [] as string[],
    sha256: '0'.repeat(64),
  };
  const fixed = JSON.stringify(worst).length;
  // Each further digest adds 64 hex characters, two quotes and a comma.
  const total = fixed + partCount * 67;
  return Math.ceil(total / BUCKET) * BUCKET;
}
