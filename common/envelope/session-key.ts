import * as openpgp from 'openpgp';
import { DecryptionError, EnvelopeError } from './errors.ts';

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

/** The AES session keys a reader with native AES accepts (SEIPDv1 with one of them). */
const AES = { aes128: 16, aes192: 24, aes256: 32 } as const;
export type OpenedSessionKey = { algorithm: keyof typeof AES; data: Uint8Array };
type KeyPacket = Awaited<ReturnType<openpgp.PrivateKey['getDecryptionKeys']>>[number]['keyPacket'];
// The fields and method of openpgp.js's PKESK packet that openpgp.decryptSessionKeys itself uses.
type Pkesk = {
  publicKeyID: openpgp.KeyID; sessionKey: Uint8Array | null; sessionKeyAlgorithm: openpgp.enums.symmetric | null; decrypt(key: KeyPacket): Promise<void>;
};

/**
 * Unwraps objects' session keys with `keys`, for a reader doing the bulk layer itself
 * (seipd-read.ts). openpgp.decryptSessionKeys checks every self-signature of the key at each
 * call, which cost more than decrypting a 4 MiB part: here each key ID's decryption subkeys are
 * found (and checked) once, then each PKESK is opened by openpgp.js's own packet code. Only AES,
 * the cipher every Sealdrop writer, gpg and sq use with these keys.
 */
export function sessionKeyOpener(keys: openpgp.PrivateKey[]): (header: Uint8Array) => Promise<OpenedSessionKey> {
  const found = new Map<string, Promise<KeyPacket[]>>();
  const packetsFor = (id: openpgp.KeyID) => {
    const hex = id.toHex();
    if (!found.has(hex)) found.set(hex, Promise.all(keys.map((k) => k.getDecryptionKeys(id).catch(() => []))).then((l) => l.flat().map((k) => k.keyPacket)));
    return found.get(hex)!;
  };
  return async (header) => {
    const allowed = { [openpgp.enums.packet.publicKeyEncryptedSessionKey]: openpgp.PublicKeyEncryptedSessionKeyPacket };
    const packets = await openpgp.PacketList.fromBinary(header, allowed as unknown as Parameters<typeof openpgp.PacketList.fromBinary>[1]);
    for (const pkesk of packets as unknown as Pkesk[]) {
      for (const keyPacket of await packetsFor(pkesk.publicKeyID)) {
        try {
          await pkesk.decrypt(keyPacket);
        } catch {
          continue;
        }
        const algorithm = pkesk.sessionKeyAlgorithm === null ? '' : openpgp.enums.read(openpgp.enums.symmetric, pkesk.sessionKeyAlgorithm);
        if (algorithm in AES && AES[algorithm as keyof typeof AES] === pkesk.sessionKey?.length) return { algorithm: algorithm as keyof typeof AES, data: pkesk.sessionKey };
        throw new DecryptionError('Could not decrypt: the object is not sealed with AES.');
      }
    }
    throw new DecryptionError('Could not decrypt: no given key opens this object\'s session key.');
  };
}
