import * as openpgp from 'openpgp';

// What native code needs to wrap or open a session key for a cv25519 ECDH subkey (RFC 6637): the
// KDF's parameters, read from openpgp.js's key packets here, since only this folder may hold
// openpgp.js. The server's no-JavaScript path wraps each part's key with it
// (server/nojs/pkesk-native.ts), `sealdrop decrypt` opens them (newsroom/ecdh-native.ts).

/** The key sizes of the AES key-wrap ciphers an ECDH subkey's KDF may name. */
export const AES_KEY_BYTES = { aes128: 16, aes192: 24, aes256: 32 } as const;
/** DER of an SPKI X25519 public key, less its last 32 bytes (the key): what node:crypto imports. */
export const SPKI_X25519 = Uint8Array.of(0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x03, 0x21, 0x00);
/** The KDF's counter, 1 (RFC 6637, section 7). */
export const KDF_COUNTER = Uint8Array.of(0, 0, 0, 1);
/** AES key wrap's initial value (RFC 3394, 2.2.3.1). */
export const KEY_WRAP_IV = Uint8Array.of(0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6);

const ECDH = 18;
const CV25519 = 'curve25519Legacy';
const ANONYMOUS_SENDER = new TextEncoder().encode('Anonymous Sender    ');

// The fields read here, which every key and subkey packet class of openpgp.js has.
type KeyPacket = { algorithm: number; version: number; publicParams: unknown; getFingerprintBytes(): Uint8Array | null };
/** The KDF's parameters block (RFC 6637, section 8), its hash's name for node:crypto, and the key-wrap key's size. */
export type EcdhParams = { param: Uint8Array; hash: string; keyBytes: number };
// The KDF hashes node:crypto has under these names; a key naming another (SHA3, say) is left to openpgp.js.
const KDF_HASHES = new Set(['sha256', 'sha384', 'sha512']);

/** The ECDH parameters of a v4 cv25519 subkey whose KDF names an AES key wrap, else null. */
export function ecdhParams(keyPacket: KeyPacket): EcdhParams | null {
  const { oid, kdfParams } = keyPacket.publicParams as { oid?: { getName(): string; write(): Uint8Array }; kdfParams?: { hash: number; cipher: number; write(): Uint8Array } };
  const cipher = kdfParams && openpgp.enums.read(openpgp.enums.symmetric, kdfParams.cipher);
  const hash = kdfParams && openpgp.enums.read(openpgp.enums.hash, kdfParams.hash)?.toLowerCase();
  if (keyPacket.algorithm !== ECDH || keyPacket.version !== 4 || oid?.getName() !== CV25519 || !cipher || !(cipher in AES_KEY_BYTES) || !KDF_HASHES.has(hash ?? '')) return null;
  const parts = [oid.write(), Uint8Array.of(ECDH), kdfParams!.write(), ANONYMOUS_SENDER, keyPacket.getFingerprintBytes()!];
  const param = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  parts.reduce((at, p) => (param.set(p, at), at + p.length), 0);
  return { param, hash: hash!, keyBytes: AES_KEY_BYTES[cipher as keyof typeof AES_KEY_BYTES] };
}

/** A recipient's encryption subkey as a native writer wraps to it: its key ID, its X25519 public key (32 bytes), its ECDH parameters, and when the key or that subkey expires (ms since the epoch; Infinity if never). */
export type EcdhRecipient = EcdhParams & { keyId: Uint8Array; point: Uint8Array; expires: number };

/**
 * The subkey openpgp.js would encrypt to for `key` at `date` (its own selection, with every check
 * of the key's signatures and expiry), as an EcdhRecipient; null when that subkey is not a v4
 * cv25519 ECDH one (an RSA key, say): the caller then lets openpgp.js wrap. Throws as openpgp.js
 * does when the key has no valid encryption subkey.
 */
export async function ecdhRecipient(key: openpgp.PublicKey, date = new Date()): Promise<EcdhRecipient | null> {
  const subkey = await key.getEncryptionKey(undefined, date);
  const params = ecdhParams(subkey.keyPacket);
  const Q = (subkey.keyPacket.publicParams as { Q?: Uint8Array }).Q;
  // The point is in the native (0x40-prefixed) form RFC 6637 gives Curve25519.
  if (!params || Q?.length !== 33 || Q[0] !== 0x40) return null;
  const keyId = Uint8Array.from(subkey.getKeyID().toHex().match(/../g)!, (h) => parseInt(h, 16));
  const ms = (t: Date | number | null) => (t instanceof Date ? t.getTime() : t === null ? -Infinity : Infinity);
  const expires = Math.min(ms(await key.getExpirationTime()), ms(await subkey.getExpirationTime(date)));
  return { ...params, keyId, point: Q.slice(1), expires };
}
