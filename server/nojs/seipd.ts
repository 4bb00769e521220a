import { createCipheriv, createHash, randomBytes } from 'node:crypto';
import type { PublicKey } from '../../common/envelope/index.ts';
import { SESSION_KEY_BYTES, wrapSessionKey } from '../../common/envelope/session-key.ts';

// The bulk symmetric layer of the envelope (docs/envelope.md) in native code: openpgp.js spent most
// of the no-JavaScript path's time copying, hashing SHA-1 in JavaScript and collecting garbage.
// The bytes are exactly those encryptObject writes for the same session key and random prefix
// (tests/unit/envelope/seipd.test.ts compares them): a SEIPDv1 packet with a definite length in
// the fewest octets, holding, AES-256-CFB encrypted from a zero IV, the 18-byte random prefix, an
// uncompressed literal packet (binary, empty name, the epoch) and the MDC packet (SHA-1).
// openpgp.js still writes the v3 PKESKs that wrap the session key for each journalist.

const TAG = { literal: 11, seipd: 18 } as const;
const AES_BLOCK = 16;
const ZERO_IV = Buffer.alloc(AES_BLOCK);
// Format 'b' (binary), a file name of length 0, a date of 0: nothing about the file or the time.
const LITERAL_FIELDS = Buffer.from([0x62, 0, 0, 0, 0, 0]);
// The MDC packet's header (old-format tag 19, length 20): SHA-1 covers it too.
const MDC_HEADER = Buffer.from([0xd3, 0x14]);
const MDC_BYTES = MDC_HEADER.length + 20;
const SEIPD_VERSION = 1;

/** A new-format packet header with the length in the fewest octets (RFC 4880 4.2.2), as openpgp.js writes a packet it holds whole. */
export function packetHeader(tag: number, length: number): Buffer {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError('A packet of this length cannot be written with a definite length.');
  if (length < 192) return Buffer.from([0xc0 | tag, length]);
  if (length < 8384) return Buffer.from([0xc0 | tag, ((length - 192) >> 8) + 192, (length - 192) & 0xff]);
  const header = Buffer.from([0xc0 | tag, 0xff, 0, 0, 0, 0]);
  header.writeUInt32BE(length, 2);
  return header;
}

/** What one object is encrypted under: a fresh AES-256 key, and the 16 random bytes of CFB's prefix. */
export type BulkSecrets = { sessionKey: Uint8Array; random: Uint8Array };

// Hashed and encrypted a slice at a time while the slice is in the CPU's cache, and each
// slice's ciphertext, a small buffer the allocator reuses, copied straight into the output.
const SLICE = 256 * 1024;

/**
 * The SEIPDv1 packet holding `data`, written after `lead` (the PKESKs) into one buffer, so that
 * the part's ciphertext is copied once. Native AES and SHA-1 (node:crypto, OpenSSL).
 */
export function seipdPacket(data: Uint8Array, secrets: BulkSecrets, lead: Uint8Array = new Uint8Array(0)): Buffer {
  const { sessionKey, random } = secrets;
  if (sessionKey.length !== SESSION_KEY_BYTES || random.length !== AES_BLOCK) throw new RangeError('An AES-256 key is 32 bytes and its prefix 16.');
  // The prefix repeats its last two bytes: a quick check a reader makes that the key is right.
  const prefix = Buffer.concat([random, random.subarray(AES_BLOCK - 2)]);
  const literal = Buffer.concat([packetHeader(TAG.literal, LITERAL_FIELDS.length + data.length), LITERAL_FIELDS]);
  const bodyLength = 1 + prefix.length + literal.length + data.length + MDC_BYTES;
  const header = packetHeader(TAG.seipd, bodyLength);
  const out = Buffer.allocUnsafe(lead.length + header.length + bodyLength);
  out.set(lead, 0);
  let at = lead.length + header.copy(out, lead.length);
  out[at++] = SEIPD_VERSION;
  const mdc = createHash('sha1');
  // CFB is a stream mode: each update returns as many bytes as it was given, and final() none.
  const cipher = createCipheriv('aes-256-cfb', sessionKey, ZERO_IV);
  const put = (piece: Uint8Array) => {
    mdc.update(piece);
    at += cipher.update(piece).copy(out, at);
  };
  put(prefix);
  put(literal);
  for (let from = 0; from < data.length; from += SLICE) put(data.subarray(from, from + SLICE));
  put(MDC_HEADER);
  at += cipher.update(mdc.digest()).copy(out, at);
  at += cipher.final().copy(out, at);
  if (at !== out.length) throw new Error('The SEIPD packet came out at the wrong length.');
  return out;
}

/**
 * Encrypts one part as encryptObject does (v3 PKESKs, then SEIPDv1) under a fresh session key, with
 * the bulk layer native. The session key is erased once it has been used.
 */
export async function sealObject(data: Uint8Array, recipients: PublicKey[]): Promise<Buffer> {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  try {
    const pkesks = await wrapSessionKey(sessionKey, recipients);
    return seipdPacket(data, { sessionKey, random: randomBytes(AES_BLOCK) }, pkesks);
  } finally {
    sessionKey.fill(0);
  }
}
