// The names of a submission's objects wherever they are handed over: the export folders
// (OUT/<designation>/<submission-id>/), the journalist interface's download links, the journalist
// page and the offline decrypt tool. One definition, so the four always agree.

import { USERNAME_PATTERN } from './ids.ts';

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

/**
 * Beside each exported submission's objects: the keys its manifest is sealed to, as the drop knew
 * them (current or retired, and whose), so that `sealdrop decrypt` can say whose key it needs when
 * none given opens it. Public facts about staff keys only, never anything of the source.
 */
export const SEALED_TO_FILE = 'sealed-to.txt';
/** One line of SEALED_TO_FILE: the key ID an object's packets name, the key's fingerprint, its holder, whether it is a retired key. */
export type KnownKey = { keyId: string; fingerprint: string; username: string; retired: boolean };
// A username as Sealdrop allows them: the file comes from a drop, and its words reach a terminal.
const KEY_LINE = new RegExp(`^([0-9A-F]{16}) ([0-9A-F]{40}) (${USERNAME_PATTERN})( retired)?$`);

export const SEALED_TO_HEADER = '# The keys this submission is sealed to when it was exported: key ID, fingerprint, username.\n';
export const keyLine = (k: KnownKey): string => `${k.keyId.toUpperCase()} ${k.fingerprint.toUpperCase()} ${k.username}${k.retired ? ' retired' : ''}\n`;

/** The well-formed lines of a SEALED_TO_FILE (anything else is skipped: the file only helps name keys). */
export function parseKeyLines(text: string): KnownKey[] {
  const out: KnownKey[] = [];
  for (const line of text.split('\n')) {
    const m = KEY_LINE.exec(line.trim());
    if (m) out.push({ keyId: m[1]!, fingerprint: m[2]!, username: m[3]!, retired: m[4] !== undefined });
  }
  return out;
}
