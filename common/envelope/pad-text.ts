import type * as openpgp from 'openpgp';
import { checkOptions, EnvelopeError, NotPaddedError } from './errors.ts';
import { assertRecipients, readObjectHeaders, type SealedData } from './headers.ts';
import { MIN_PADDED_SIZE, paddedSize } from './padding.ts';
import { encryptObject } from './seal.ts';

// Padded replies and labels (the format, and how each reader strips it, is in padded-text.ts):
// their sizes, the journalist page's writer and the server's length check. Imported by name, not
// through index.ts, so that the source page's script (which has a size budget and only reads
// replies) does not carry it.

export type TextKind = 'reply' | 'label';

/** The reply box's own limit (its maxlength); a character is at most four bytes of UTF-8. */
export const MAX_REPLY_CHARS = 50_000;
export const MAX_LABEL_CHARS = 100;
/** Every label's plaintext, padding included: the longest a 100-character label can encode to. */
export const LABEL_SIZE = 4 * MAX_LABEL_CHARS;
/** The largest reply size class: 50,000 four-byte characters, padded. */
export const MAX_REPLY_SIZE = paddedSize(4 * MAX_REPLY_CHARS);

/** A reply or label longer than Sealdrop pads: `limit` is the most characters it may have. */
export class TextTooLongError extends EnvelopeError {
  override name = 'TextTooLongError';
  override readonly code: string = 'text_too_long';
  constructor(readonly limit: number) {
    super(`This text is longer than ${limit} characters, the most Sealdrop pads to one size. Shorten it.`);
  }
}

const LIMITS: Record<TextKind, number> = { reply: MAX_REPLY_CHARS, label: MAX_LABEL_CHARS };

/** The text, then zeros up to its padded size: what goes inside the encryption. */
export function padText(kind: TextKind, text: string): Uint8Array {
  if (text.length === 0) throw new EnvelopeError('There is no text to send.');
  if (text.includes('\0')) throw new EnvelopeError('The text holds a zero character (U+0000), which marks where padding starts; remove it.');
  if ([...text].length > LIMITS[kind]) throw new TextTooLongError(LIMITS[kind]);
  const bytes = new TextEncoder().encode(text);
  const padded = new Uint8Array(kind === 'label' ? LABEL_SIZE : paddedSize(bytes.length));
  padded.set(bytes);
  return padded;
}

export type SealTextOptions = { kind: TextKind; text: string; recipients: openpgp.PublicKey[] };

/** A reply (to the source and every journalist) or a label (to every journalist), padded and encrypted. */
export async function sealText(options: SealTextOptions): Promise<Uint8Array> {
  checkOptions(options, ['kind', 'text', 'recipients'], 'sealText');
  return encryptObject({ data: padText(options.kind, options.text), recipients: options.recipients });
}

// The SEIPDv1 body encryptObject writes around n bytes of plaintext: its version byte, AES's
// 18-byte random prefix, the literal packet (tag, length octets, format, empty name, four-byte
// date, the bytes), then the 22-byte MDC packet. New-format lengths take 1, 2 or 5 octets.
const lengthOctets = (n: number): number => (n < 192 ? 1 : n < 8384 ? 2 : 5);
const LITERAL_FIELDS = 6;
const SEIPD_FIXED = 1 + 18 + 1 + 22;
const SEIPD_TAG = 0xc0 | 18;

/** The SEIPD body length of an object holding `plaintext` bytes. */
export function sealedLength(plaintext: number): number {
  return SEIPD_FIXED + lengthOctets(LITERAL_FIELDS + plaintext) + LITERAL_FIELDS + plaintext;
}

const padded = (kind: TextKind, n: number): boolean =>
  kind === 'label' ? n === LABEL_SIZE : n >= MIN_PADDED_SIZE && n <= MAX_REPLY_SIZE && paddedSize(n) === n;

/** Whether the SEIPD packet is one of the lengths padding gives, written as encryptObject writes it. */
function onGrid(kind: TextKind, data: Uint8Array, sealed: SealedData): boolean {
  if (data[sealed.at] !== SEIPD_TAG || sealed.partial || sealed.bodyAt - sealed.at !== 1 + lengthOctets(sealed.length)) return false;
  return [1, 2, 5].some((octets) => {
    const n = sealed.length - SEIPD_FIXED - LITERAL_FIELDS - octets;
    return n >= 0 && lengthOctets(LITERAL_FIELDS + n) === octets && padded(kind, n);
  });
}

/**
 * The server's check of an uploaded reply or label, from the packet headers alone: addressed to
 * exactly the expected keys, and exactly as long as a padded text makes it (the PKESKs, which
 * depend only on the keys, then one SEIPDv1 packet whose length is a padded size's).
 */
export function assertPaddedText(data: Uint8Array, kind: TextKind, expectedKeyIds: readonly string[]): void {
  const { recipientKeyIds, sealed } = readObjectHeaders(data);
  assertRecipients(recipientKeyIds, expectedKeyIds);
  if (!onGrid(kind, data, sealed)) {
    throw new NotPaddedError(`This ${kind} is not padded as Sealdrop pads a ${kind}, so its size would show the length of its text. Reload the page and send it again. Nothing was stored.`);
  }
}
