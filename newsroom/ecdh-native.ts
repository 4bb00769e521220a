import { createDecipheriv, createHash, createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from 'node:crypto';
import { KDF_COUNTER, KEY_WRAP_IV, SPKI_X25519 } from '../common/envelope/ecdh-params.ts';
import type { EcdhMaterial } from '../common/envelope/session-key.ts';

// The costly step of opening a part's session key, in native code: openpgp.js imported the
// journalist's private key through WebCrypto again for every part it opened (about a millisecond
// of the main thread's CPU each, 0.15 s for a 512 MiB export, while the workers wait to be fed).
// Here node:crypto's X25519, the KDF's SHA-256 and OpenSSL's AES key wrap (RFC 3394); openpgp.js
// still parses the packets, and session-key.ts checks what comes out (padding, checksum, cipher),
// falling back to openpgp.js for anything this does not open.

/** DER of a PKCS #8 X25519 private key, less its last 32 bytes (the key). */
const PKCS8_X25519 = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** The secret's DER in memory of its own, zeroed once imported (Buffer.concat's small results share a pool never cleared). */
function importSecret(secret: Uint8Array): KeyObject {
  const der = Buffer.allocUnsafeSlow(PKCS8_X25519.length + secret.length);
  der.set(PKCS8_X25519);
  der.set(secret, PKCS8_X25519.length);
  try {
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  } finally {
    der.fill(0);
  }
}

/** The pieces joined in memory of its own (the caller zeroes it), each piece zeroed. */
function outOfPool(pieces: Buffer[]): Buffer {
  const out = Buffer.allocUnsafeSlow(pieces.reduce((n, p) => n + p.length, 0));
  pieces.reduce((at, p) => (out.set(p, at), p.fill(0), at + p.length), 0);
  return out;
}

/** Each secret's key object, made once: the secret arrays are session-key.ts's, one per subkey. */
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

/** The unwrapped (still padded) session key data, or null where it does not open: the caller then asks openpgp.js. */
export function nativeEcdh(m: EcdhMaterial): Uint8Array | null {
  try {
    let privateKey = privateKeys.get(m.secret);
    if (!privateKey) privateKeys.set(m.secret, (privateKey = importSecret(m.secret)));
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, m.ephemeral]), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey, publicKey });
    const digest = createHash(m.hash).update(KDF_COUNTER).update(shared).update(m.param).digest();
    const unwrap = createDecipheriv(`id-aes${m.keyBytes * 8}-wrap`, digest.subarray(0, m.keyBytes), KEY_WRAP_IV);
    shared.fill(0);
    digest.fill(0);
    return outOfPool([unwrap.update(m.wrapped), unwrap.final()]);
  } catch {
    return null; // a low-order point, a wrong key, a bad wrap: openpgp.js decides
  }
}
