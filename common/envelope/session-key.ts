import * as openpgp from 'openpgp';
import { EnvelopeError } from './errors.ts';

// Writers that do the bulk encryption themselves (the server's no-JavaScript path, with native AES
// and SHA-1 in server/nojs/seipd.ts) still need the public-key packets, and only this folder may
// hold openpgp.js. Imported by name, not through index.ts, so that the page scripts do not carry it.

/** AES-256, the only cipher Sealdrop writes. */
export const SESSION_KEY_BYTES = 32;

/**
 * One v3 PKESK per recipient wrapping `sessionKey` for AES-256, exactly the packets encryptObject
 * puts before its SEIPDv1 packet (openpgp.encrypt goes through the same Message.encryptSessionKey,
 * with the same key selection at the current time).
 */
export async function wrapSessionKey(sessionKey: Uint8Array, recipients: openpgp.PublicKey[]): Promise<Uint8Array> {
  if (!(sessionKey instanceof Uint8Array) || sessionKey.length !== SESSION_KEY_BYTES) throw new EnvelopeError('An AES-256 session key is 32 bytes.');
  if (recipients.length === 0) throw new EnvelopeError('No journalist keys: nobody could read this.');
  // No aeadAlgorithm: openpgp writes v3 PKESKs, the version a SEIPDv1 packet goes with.
  return openpgp.encryptSessionKey({ data: sessionKey, algorithm: 'aes256', encryptionKeys: recipients, format: 'binary' });
}
