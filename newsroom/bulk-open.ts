import { createCipheriv, createHash } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { readSeipdPlaintext, seipdCiphertext } from '../common/envelope/seipd-read.ts';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';

// The bulk layer of one part in native code (OpenSSL's AES-CFB, SHA-1 and SHA-256): openpgp.js
// did it in JavaScript, copying packets and hashing SHA-1 itself, which made `sealdrop decrypt`
// slower than gpg. seipd-read.ts finds the ciphertext and verifies what comes out.

const AES_BLOCK = 16;
const sha1 = (data: Uint8Array) => createHash('sha1').update(data).digest();

export type OpenedPart = { plaintext: Uint8Array; sha256: string };

const ZERO_BLOCK = new Uint8Array(AES_BLOCK);

/**
 * CFB decryption from a zero IV, as SEIPDv1 uses it (no OpenPGP resynchronisation), in place:
 * plaintext block i is ciphertext block i XOR AES(ciphertext block i-1), block 0 taking the IV.
 * Unlike encryption that runs in parallel, so it is one ECB pass over the ciphertext (OpenSSL
 * pipelines ECB with AES-NI; its CFB goes a block at a time, twice the time), then an XOR into
 * the ciphertext's own memory, 32 bits at a time where `data` is 4-byte aligned. Nothing is copied:
 * a shifted copy of the ciphertext and a third buffer for the output had cost as much as the AES.
 */
export function cfbDecryptInPlace(key: Uint8Array, data: Uint8Array): Uint8Array {
  if (data.length === 0) return data;
  const blocks = Math.ceil(data.length / AES_BLOCK);
  const ecb = createCipheriv(`aes-${key.length * 8}-ecb`, key, null).setAutoPadding(false);
  const first = ecb.update(ZERO_BLOCK);
  // Every block but the last, encrypted before any of them is overwritten below.
  let stream = ecb.update(data.subarray(0, (blocks - 1) * AES_BLOCK));
  ecb.final(); // whole blocks, no padding: nothing more
  for (let j = 0; j < Math.min(AES_BLOCK, data.length); j++) data[j]! ^= first[j]!;
  const rest = data.subarray(AES_BLOCK);
  if (rest.length === 0) return data;
  let words = 0;
  if (rest.byteOffset % 4 === 0) {
    if (stream.byteOffset % 4 !== 0) stream = Buffer.from(stream); // a small output in Node's pool
    words = rest.length >>> 2;
    const out32 = new Uint32Array(rest.buffer, rest.byteOffset, words);
    const in32 = new Uint32Array(stream.buffer, stream.byteOffset, words);
    for (let i = 0; i < words; i++) out32[i]! ^= in32[i]!;
  }
  for (let j = words * 4; j < rest.length; j++) rest[j]! ^= stream[j]!;
  return data;
}

/** CFB decryption as above into a copy of `ciphertext`, which is left as it was. */
export function cfbDecrypt(key: Uint8Array, ciphertext: Uint8Array): Buffer {
  const out = cfbDecryptInPlace(key, Uint8Array.from(ciphertext));
  return Buffer.from(out.buffer, out.byteOffset, out.length);
}

/**
 * Decrypts and verifies one whole object (v3 PKESKs, SEIPDv1) under its unwrapped session key,
 * overwriting `object`'s ciphertext with the plaintext (a worker's own copy of a part). Its
 * ciphertext should start 4-byte aligned (readPartAligned); otherwise it is copied once.
 */
export function openBulkInPlace(object: Uint8Array, key: OpenedSessionKey): OpenedPart {
  const chunks = seipdCiphertext(object);
  const one = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  const plain = cfbDecryptInPlace(key.data, one.byteOffset % 4 === 0 ? one : Uint8Array.from(one));
  const plaintext = readSeipdPlaintext(plain, AES_BLOCK, sha1);
  return { plaintext, sha256: createHash('sha256').update(plaintext).digest('hex') };
}

/** As openBulkInPlace, leaving `object` as it was. */
export const openBulk = (object: Uint8Array, key: OpenedSessionKey): OpenedPart => openBulkInPlace(Uint8Array.from(object), key);

/**
 * A part's file read whole into memory of its own (`spare`, when it is large enough), placed so
 * that its ciphertext starts 4-byte aligned (the XOR above goes 32 bits at a time): read at offset
 * 0, then moved up by 0 to 3 bytes within the same pages, far cheaper than a copy into new memory.
 */
export function readPartAligned(file: string, spare?: ArrayBuffer): Uint8Array {
  const fd = openSync(file, 'r');
  let room: Uint8Array;
  let size = 0;
  try {
    const length = fstatSync(fd).size + 3;
    // Not zeroed, new or reused: only bytes read from the file are ever returned.
    room = spare && spare.byteLength >= length ? new Uint8Array(spare, 0, length) : Buffer.allocUnsafeSlow(length);
    for (let got = 1; got > 0 && size < room.length - 3; size += got) got = readSync(fd, room, size, room.length - 3 - size, size);
  } finally {
    closeSync(fd);
  }
  let shift = 0;
  try {
    shift = (4 - (seipdCiphertext(room.subarray(0, size))[0]!.byteOffset % 4)) % 4;
  } catch {
    // Malformed: openBulkInPlace refuses it with the reason.
  }
  room.copyWithin(shift, 0, size);
  return room.subarray(shift, shift + size);
}
