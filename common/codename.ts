import { ADDED_WORDS, CODENAME_WORDLIST, EFF_LARGE_WORDLIST, EXCLUDED_WORDS } from './wordlist.ts';

export { ADDED_WORDS, CODENAME_WORDLIST, EXCLUDED_WORDS };

// A codename is 7 different words from the 7,776 of CODENAME_WORDLIST (the EFF large list with the
// excluded words replaced, wordlist.ts): log2 of 7776 × 7775 × … × 7770 ≈ 90.47 bits, chosen uniformly (WORDLIST.md).
export const CODENAME_WORDS = 7;

/**
 * PBKDF2-HMAC-SHA256 through WebCrypto: native in every browser and in Node, so it needs neither
 * WebAssembly nor the JIT (Tor Browser "Safer"). 600,000 iterations is OWASP's 2023 figure for
 * PBKDF2-SHA256; with 90 bits of entropy in the codename, the work factor is a margin, not the wall.
 */
export const KDF_ITERATIONS = 600_000;

/** Names its message by catalog key (the page script's words), so both sides show it translated. */
export class NotACodenameError extends Error {
  override name = 'NotACodenameError';
  constructor(
    readonly key: 'client.codename.count' | 'client.codename.notWord',
    readonly values: Record<string, string | number>,
  ) {
    super(key); // worded where it is shown, in the reader's language
  }
}

/** Uniform index below `n` from the platform CSPRNG (rejection sampling: no modulo bias). */
function randomIndex(n: number): number {
  const limit = Math.floor(0x1_0000_0000 / n) * n;
  const buf = new Uint32Array(1);
  for (;;) {
    crypto.getRandomValues(buf);
    if (buf[0]! < limit) return buf[0]! % n;
  }
}

/** Seven different words: drawn uniformly, and drawn again on a repeat, so each codename is equally likely. */
export function generateCodename(): string {
  const words: string[] = [];
  while (words.length < CODENAME_WORDS) {
    const word = CODENAME_WORDLIST[randomIndex(CODENAME_WORDLIST.length)]!;
    if (!words.includes(word)) words.push(word);
  }
  return words.join(' ');
}

// The EFF list is numbered by five dice (11111 to 66666), so each word is also five digits from 1
// to 6: the same codename, equally strong, for a source who cannot easily copy Latin letters.
const DIGITS_PER_WORD = 5;
let indexOf: Map<string, number> | null = null;

/** The codename as seven groups of five dice digits (an excluded word of an older codename keeps its own number). */
export function codenameDigits(codename: string): string {
  indexOf ??= new Map([...EFF_LARGE_WORDLIST.entries(), ...CODENAME_WORDLIST.entries()].map(([i, w]) => [w, i]));
  return normaliseCodename(codename).split(' ').map((word) => {
    const i = indexOf!.get(word);
    if (i === undefined) throw new NotACodenameError('client.codename.notWord', { word });
    return [...i.toString(6).padStart(DIGITS_PER_WORD, '0')].map((d) => Number(d) + 1).join('');
  }).join(' ');
}

// Digits as keyboards type them: Arabic-Indic, Extended Arabic-Indic (Uyghur, Persian), full-width (CJK input methods).
const FOREIGN_DIGITS = /[\u0660-\u0669\u06f0-\u06f9\uff10-\uff19]/g;
const asciiDigit = (d: string) => String((d.codePointAt(0)! - (d >= '\uff10' ? 0xff10 : d >= '\u06f0' ? 0x06f0 : 0x0660)));

/** The dice numbers (0-7775) of 35 typed digits (any grouping, any of the digit scripts above), or null if it is not that. */
function diceNumbers(typed: string): number[] | null {
  const digits = typed.replace(FOREIGN_DIGITS, asciiDigit).replace(/[\s\-.,\u060c\u3001]/g, '');
  if (!new RegExp(`^[1-6]{${DIGITS_PER_WORD * CODENAME_WORDS}}$`).test(digits)) return null;
  return digits.match(new RegExp(`.{${DIGITS_PER_WORD}}`, 'g'))!.map((g) => parseInt([...g].map((d) => Number(d) - 1).join(''), 6));
}

function wordsFromDigits(typed: string): string | null {
  return diceNumbers(typed)?.map((i) => CODENAME_WORDLIST[i]).join(' ') ?? null;
}

/**
 * The other way typed digits can be read: a codename made before the added words took the excluded
 * words' numbers may hold an excluded word, whose number now reads as an added word. Null when the
 * digits name no such place (or the words were typed as words): the first reading is the only one.
 * A login tries this one when the first is refused.
 */
export function olderReading(typed: string): string | null {
  const numbers = diceNumbers(typed);
  if (!numbers?.some((i) => EXCLUDED_WORDS.has(EFF_LARGE_WORDLIST[i]!))) return null;
  return numbers.map((i) => EFF_LARGE_WORDLIST[i]).join(' ');
}

/** The canonical form of what a source typed: lower case, single spaces, seven words; or the 35-digit form, as words. */
export function normaliseCodename(typed: string): string {
  const fromDigits = wordsFromDigits(typed);
  if (fromDigits) return fromDigits;
  // Split on white space only: four list words contain a hyphen (drop-down, felt-tip, t-shirt, yo-yo).
  const words = typed.toLowerCase().trim().split(/\s+/).filter(Boolean);
  if (words.length !== CODENAME_WORDS) throw new NotACodenameError('client.codename.count', { words: CODENAME_WORDS, digits: DIGITS_PER_WORD * CODENAME_WORDS });
  return words.join(' ');
}

export type SourceSecrets = {
  /** Sent to the server at login; the server keeps only its SHA-256. */
  loginSecret: string;
  /** Protects the source's own private key; never sent anywhere. */
  keyPassphrase: string;
};

const hex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');

/** Derives both secrets from the codename; the salt is per instance (served with /api/config). */
export async function deriveSourceSecrets(codename: string, saltHex: string): Promise<SourceSecrets> {
  const material = await crypto.subtle.importKey('raw', new TextEncoder().encode(normaliseCodename(codename)), 'PBKDF2', false, ['deriveBits']);
  const salt = new TextEncoder().encode(`sealdrop-codename-v1:${saltHex}`);
  const bits = new Uint8Array(await crypto.subtle.deriveBits({ name: 'PBKDF2', hash: 'SHA-256', salt, iterations: KDF_ITERATIONS }, material, 512));
  return { loginSecret: hex(bits.subarray(0, 32)), keyPassphrase: hex(bits.subarray(32)) };
}
