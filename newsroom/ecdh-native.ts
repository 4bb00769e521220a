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

/** Each secret's key object, made once: the secret arrays are session-key.ts's, one per subkey. */
const privateKeys = new WeakMap<Uint8Array, KeyObject>();

/** The unwrapped (still padded) session key data, or null where it does not open: the caller then asks openpgp.js. */
export function nativeEcdh(m: EcdhMaterial): Uint8Array | null {
  try {
    let privateKey = privateKeys.get(m.secret);
    if (!privateKey) privateKeys.set(m.secret, (privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_X25519, m.secret]), format: 'der', type: 'pkcs8' })));
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_X25519, m.ephemeral]), format: 'der', type: 'spki' });
    const shared = diffieHellman({ privateKey, publicKey });
    const kek = createHash(m.hash).update(KDF_COUNTER).update(shared).update(m.param).digest().subarray(0, m.keyBytes);
    const unwrap = createDecipheriv(`id-aes${m.keyBytes * 8}-wrap`, kek, KEY_WRAP_IV);
    return Buffer.concat([unwrap.update(m.wrapped), unwrap.final()]);
  } catch {
    return null; // a low-order point, a wrong key, a bad wrap: openpgp.js decides
  }
}
