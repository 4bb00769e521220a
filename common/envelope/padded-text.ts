import type * as openpgp from 'openpgp';
import { DecryptionError } from './errors.ts';
import { decryptObject } from './open.ts';

// Replies and labels are short texts journalists type, and their length alone says a lot: a
// "yes" beside a meeting plan, the length of the name a newsroom gives a source. Each is padded
// with zero bytes inside the encryption: a reply to the size class of a file of its length (so
// every reply up to 4 KiB looks the same), a label to one fixed size. The text never holds a zero
// byte (the writer refuses one), so for every reader the text ends at the first zero and all that
// follows is zeros: `gpg -d reply.pgp | tr -d '\000'` gives it back. Replies and labels stored
// before padding have no zero byte at all and read unchanged. This file only reads them; writing
// them, their sizes and the server's check are in pad-text.ts, which the source page never loads.

/** What a reply or label may decrypt to, padded or (stored before padding) not. */
const MAX_TEXT_PLAINTEXT = 1024 * 1024;

/** The text before the first zero byte; everything after it must be zeros. */
export function unpadText(plaintext: Uint8Array): string {
  const end = plaintext.indexOf(0);
  const text = end < 0 ? plaintext : plaintext.subarray(0, end);
  if (plaintext.subarray(text.length).some((b) => b !== 0)) throw new DecryptionError('Bytes follow the padding.');
  return new TextDecoder().decode(text);
}

export type OpenTextOptions = { data: Uint8Array; keys: openpgp.PrivateKey[] };

/**
 * Decrypts a reply or label, padded or stored before padding, and gives back its text. decryptObject
 * refuses an unknown option; this one's own check is left out for the source page's size budget.
 */
export async function openText(options: OpenTextOptions): Promise<string> {
  return unpadText(await decryptObject({ ...options, maxPlaintext: MAX_TEXT_PLAINTEXT }));
}
