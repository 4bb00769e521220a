import * as openpgp from 'openpgp';
import { readJournalistKey } from './keys.ts';
import { encryptObject } from './seal.ts';

/**
 * A short text encrypted to one journalist's own key and ASCII-armoured, for a mail body that
 * `gpg -d` reads (notices of new material). Sealed like every object (AES-256, no compression, a
 * literal packet dated at the epoch), so the ciphertext carries no time either. Imported by name:
 * no page script needs it. With the CRC-24 line, which RFC 9580 makes optional: GnuPG 2.2 (Debian
 * 12's) misreads armour without it whenever the last line needs no '=' padding, a third of lengths.
 */
export async function encryptTextArmored(text: string, armoredPublicKey: string): Promise<string> {
  const { key } = await readJournalistKey(armoredPublicKey);
  const sealed = await encryptObject({ data: new TextEncoder().encode(text), recipients: [key] });
  return openpgp.armor(openpgp.enums.armor.message, sealed, undefined, undefined, undefined, true);
}
