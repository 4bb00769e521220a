import { createCipheriv, createHash } from 'node:crypto';
import { readSeipdPlaintext, seipdCiphertext } from '../common/envelope/seipd-read.ts';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';

// The bulk layer of one part in native code (OpenSSL's AES-CFB, SHA-1 and SHA-256): openpgp.js
// did it in JavaScript, copying packets and hashing SHA-1 itself, which made `sealdrop decrypt`
// slower than gpg. seipd-read.ts finds the ciphertext and verifies what comes out.

const AES_BLOCK = 16;
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest();

export type OpenedPart = { plaintext: Uint8Array; sha256: string };

/**
 * CFB decryption from a zero IV, as SEIPDv1 uses it (no OpenPGP resynchronisation): plaintext
 * block i is ciphertext block i XOR AES(ciphertext block i-1), block 0 taking the IV. Unlike
 * encryption that runs in parallel, so it is done as one ECB pass over the ciphertext shifted by
 * a block (OpenSSL pipelines ECB with AES-NI; its CFB goes a block at a time, which made AES
 * most of the time), then an XOR.
 */
export function cfbDecrypt(key: Uint8Array, ciphertext: Uint8Array): Buffer {
  if (ciphertext.length === 0) return Buffer.alloc(0);
  const whole = Math.floor(ciphertext.length / AES_BLOCK);
  const blocks = Math.ceil(ciphertext.length / AES_BLOCK);
  // The ECB input: the IV (zeros), then every ciphertext block but the last. Large buffers here
  // own their memory from offset 0, so the 32-bit views below are aligned.
  const shifted = Buffer.allocUnsafeSlow(blocks * AES_BLOCK);
  shifted.fill(0, 0, AES_BLOCK);
  shifted.set(ciphertext.subarray(0, (blocks - 1) * AES_BLOCK), AES_BLOCK);
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  let stream = ecb.update(shifted);
  ecb.final(); // whole blocks, no padding: nothing more
  if (stream.byteOffset % 4 !== 0) stream = Buffer.from(stream); // a small output in Node's pool
  // Block i of the ciphertext is block i+1 of `shifted`, for every full block before the last one.
  const full = Math.min(whole, blocks - 1) * (AES_BLOCK / 4);
  const out32 = new Uint32Array(stream.buffer, stream.byteOffset, full);
  const in32 = new Uint32Array(shifted.buffer, shifted.byteOffset + AES_BLOCK, full);
  for (let i = 0; i < full; i++) out32[i]! ^= in32[i]!;
  for (let j = full * 4; j < ciphertext.length; j++) stream[j]! ^= ciphertext[j]!;
  return stream.subarray(0, ciphertext.length);
}

/** Decrypts and verifies one whole object (v3 PKESKs, SEIPDv1) under its unwrapped session key. */
export function openBulk(object: Uint8Array, key: OpenedSessionKey): OpenedPart {
  const chunks = seipdCiphertext(object);
  const plain = cfbDecrypt(key.data, chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
  const plaintext = readSeipdPlaintext(plain, AES_BLOCK, sha1);
  return { plaintext, sha256: createHash('sha256').update(plaintext).digest('hex') };
}
