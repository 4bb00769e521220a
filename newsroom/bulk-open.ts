import { createDecipheriv, createHash } from 'node:crypto';
import { readSeipdPlaintext, seipdCiphertext } from '../common/envelope/seipd-read.ts';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';

// The bulk layer of one part in native code (OpenSSL's AES-CFB, SHA-1 and SHA-256): openpgp.js
// did it in JavaScript, copying packets and hashing SHA-1 itself, which made `sealdrop decrypt`
// slower than gpg. seipd-read.ts finds the ciphertext and verifies what comes out.

const AES_BLOCK = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest();

export type OpenedPart = { plaintext: Uint8Array; sha256: string };

/** Decrypts and verifies one whole object (v3 PKESKs, SEIPDv1) under its unwrapped session key. */
export function openBulk(object: Uint8Array, key: OpenedSessionKey): OpenedPart {
  const chunks = seipdCiphertext(object);
  // SEIPDv1 is CFB without OpenPGP's resynchronisation: plain CFB from a zero IV over the whole body.
  const decipher = createDecipheriv(`aes-${key.data.length * 8}-cfb`, key.data, ZERO_IV);
  const plain = chunks.length === 1 ? decipher.update(chunks[0]!) : Buffer.concat(chunks.map((c) => decipher.update(c)));
  decipher.final();
  const plaintext = readSeipdPlaintext(plain, AES_BLOCK, sha1);
  return { plaintext, sha256: createHash('sha256').update(plaintext).digest('hex') };
}
