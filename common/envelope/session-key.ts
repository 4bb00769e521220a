import * as openpgp from 'openpgp';
import { AES_KEY_BYTES, ecdhParams, type EcdhParams } from './ecdh-params.ts';
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
const AES = AES_KEY_BYTES;
export type OpenedSessionKey = { algorithm: keyof typeof AES; data: Uint8Array };
type KeyPacket = Awaited<ReturnType<openpgp.PrivateKey['getDecryptionKeys']>>[number]['keyPacket'];
// The fields and method of openpgp.js's PKESK packet that openpgp.decryptSessionKeys itself uses.
type Pkesk = {
  publicKeyID: openpgp.KeyID; sessionKey: Uint8Array | null; sessionKeyAlgorithm: openpgp.enums.symmetric | null; decrypt(key: KeyPacket): Promise<void>;
  version: number; publicKeyAlgorithm: number; encrypted: { V?: Uint8Array; C?: { data?: Uint8Array } } | null;
};

/**
 * What opening an ECDH (cv25519) PKESK needs from native code (RFC 6637): the subkey's X25519
 * secret (little-endian, as X25519 takes it), the sender's ephemeral public key, the wrapped key,
 * the KDF's parameters and its hash, and the key-wrap cipher's key size.
 */
export type EcdhMaterial = { secret: Uint8Array; ephemeral: Uint8Array; wrapped: Uint8Array; param: Uint8Array; hash: string; keyBytes: number };
/** X25519, the KDF and AES key unwrap, done natively (newsroom/ecdh-native.ts): the padded key data, or null. */
export type NativeEcdh = (material: EcdhMaterial) => Uint8Array | null;

/**
 * Unwraps objects' session keys with `keys`, for a reader doing the bulk layer itself
 * (seipd-read.ts). openpgp.decryptSessionKeys checks every self-signature of the key at each
 * call, which cost more than decrypting a 4 MiB part: here each key ID's decryption subkeys are
 * found (and checked) once, then each PKESK is opened by openpgp.js's own packet code. Only AES,
 * the cipher every Sealdrop writer, gpg and sq use with these keys.
 */
export function sessionKeyOpener(keys: openpgp.PrivateKey[], native?: NativeEcdh): (header: Uint8Array) => Promise<OpenedSessionKey> {
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
          if (!(native && openNatively(pkesk, keyPacket, native))) await pkesk.decrypt(keyPacket);
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

const ECDH = 18;
/** Per subkey, made once: its X25519 secret, little-endian, and the KDF's parameters (RFC 6637, section 8). */
const ecdhKeys = new WeakMap<KeyPacket, (EcdhParams & { secret: Uint8Array }) | null>();

/** The subkey's part of EcdhMaterial, or null when it is no v4 cv25519 ECDH subkey with its secret at hand. */
function ecdhKey(keyPacket: KeyPacket): (EcdhParams & { secret: Uint8Array }) | null {
  if (ecdhKeys.has(keyPacket)) return ecdhKeys.get(keyPacket)!;
  const d = (keyPacket as { privateParams?: { d?: Uint8Array } }).privateParams?.d;
  const params = d?.length === 32 ? ecdhParams(keyPacket) : null;
  // openpgp.js keeps the scalar big-endian, as its MPI is written.
  const found = params && { ...params, secret: d!.slice().reverse() };
  ecdhKeys.set(keyPacket, found);
  return found;
}

/**
 * Opens a v3 ECDH PKESK with native code and sets its session key as openpgp.js's decrypt would:
 * the unwrapped data less its PKCS #5 padding is the cipher's number, the key and a two-octet
 * checksum. False (nothing set) for anything else, or anything that fails: openpgp.js then tries,
 * with its workarounds for other writers' old bugs, and has the last word.
 */
function openNatively(pkesk: Pkesk, keyPacket: KeyPacket, native: NativeEcdh): boolean {
  const key = pkesk.version === 3 && pkesk.publicKeyAlgorithm === ECDH ? ecdhKey(keyPacket) : null;
  const { V, C } = pkesk.encrypted ?? {};
  if (!key || V?.length !== 33 || V[0] !== 0x40 || !C?.data) return false;
  const padded = native({ ...key, ephemeral: V.subarray(1), wrapped: C.data });
  const pad = padded?.length ? padded[padded.length - 1]! : 0;
  if (!padded || pad < 1 || pad > 8 || pad > padded.length || padded.subarray(padded.length - pad).some((b) => b !== pad)) return false;
  const data = padded.subarray(0, padded.length - pad);
  const sessionKey = data.subarray(1, data.length - 2);
  // openpgp.js's checksum (decodeSessionKey): the octets' sum from (length % 8) of the cipher's number and key, here the key's.
  const sum = data.subarray((data.length - 2) % 8, data.length - 2).reduce((s, b) => (s + b) & 0xffff, 0);
  const cipher = data.length >= 4 ? openpgp.enums.read(openpgp.enums.symmetric, data[0]!) : undefined;
  const fits = cipher && cipher in AES && AES[cipher as keyof typeof AES] === sessionKey.length;
  const opened = fits && sum === ((data[data.length - 2]! << 8) | data[data.length - 1]!);
  if (opened) [pkesk.sessionKeyAlgorithm, pkesk.sessionKey] = [data[0]!, Uint8Array.from(sessionKey)];
  padded.fill(0);
  if (!opened) return false;
  return true;
}
