// The names of a submission's objects wherever they are handed over: the export folders
// (OUT/<designation>/<submission-id>/), the journalist interface's download links, the journalist
// page and the offline decrypt tool. One definition, so the four always agree.

export const MANIFEST_FILE = 'manifest.pgp';
const PART_FILE = /^part-(\d{5})\.pgp$/;

/** part-00001.pgp for part 1: five digits sort correctly up to 99,999 parts. */
export function partFileName(n: number): string {
  return `part-${String(n).padStart(5, '0')}.pgp`;
}

/** The part number a file name stands for, or null for any other name. */
export function partNumberOf(name: string): number | null {
  const match = PART_FILE.exec(name);
  const n = match ? Number(match[1]) : 0;
  return n >= 1 ? n : null;
}

/** The object a name stands for: the manifest, a part, or null for any other name. */
export function objectOf(name: string): { kind: 'manifest' } | { kind: 'part'; n: number } | null {
  if (name === MANIFEST_FILE) return { kind: 'manifest' };
  const n = partNumberOf(name);
  return n === null ? null : { kind: 'part', n };
}
