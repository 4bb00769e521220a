// The envelope's bulk symmetric layer (docs/envelope.md) with WebCrypto alone, so that it runs in a
// page's Web Worker, even without a JIT (Tor Browser "Safer"), and in Node (globalThis.crypto).
// The bytes are exactly those encryptObject writes for the same session key and random prefix
// (tests/unit/envelope/seipd-write.test.ts compares them with openpgp.js and server/nojs/seipd.ts):
// a SEIPDv1 packet with a definite length in the fewest octets, holding, AES-256-CFB encrypted from
// a zero IV, the 18-byte random prefix, an uncompressed literal packet (binary, empty name, the
// epoch) and the MDC packet (SHA-1). The v3 PKESKs come from openpgp.js (session-key.ts), as `lead`.
// No openpgp.js here: a worker that loads only this stays small.

const TAG = { literal: 11, seipd: 18 } as const;
const BLOCK = 16;
const PREFIX_BYTES = BLOCK + 2;
// Format 'b' (binary), a file name of length 0, a date of 0: nothing about the file or the time.
const LITERAL_FIELDS = [0x62, 0, 0, 0, 0, 0];
// The MDC packet's header (old-format tag 19, length 20): SHA-1 covers it too.
const MDC_HEADER = [0xd3, 0x14];
const SHA1_BYTES = 20;
const SEIPD_VERSION = 1;
const KEY_BYTES = 32;
/** How much is encrypted per WebCrypto call (whole blocks); exported for the tests that cross it. */
export const CHUNK_BYTES = 1024 * 1024;

/** A new-format packet header with the length in the fewest octets (RFC 4880 4.2.2), as openpgp.js writes a packet it holds whole. */
export function newPacketHeader(tag: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError('A packet of this length cannot be written with a definite length.');
  if (length < 192) return Uint8Array.of(0xc0 | tag, length);
  if (length < 8384) return Uint8Array.of(0xc0 | tag, ((length - 192) >> 8) + 192, (length - 192) & 0xff);
  return Uint8Array.of(0xc0 | tag, 0xff, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/** Writes into `body` (the SEIPD packet's body, still to be encrypted) the prefix, the literal packet holding `data`, and the MDC packet. */
async function writePlaintext(body: Uint8Array<ArrayBuffer>, data: Uint8Array, random: Uint8Array, literalHeader: Uint8Array): Promise<void> {
  // The prefix repeats its last two bytes: a quick check a reader makes that the key is right.
  body.set(random, 0);
  body.set(random.subarray(BLOCK - 2), BLOCK);
  let at = PREFIX_BYTES;
  for (const piece of [literalHeader, LITERAL_FIELDS, data, MDC_HEADER]) {
    body.set(piece, at);
    at += piece.length;
  }
  body.set(new Uint8Array(await crypto.subtle.digest('SHA-1', body.subarray(0, at))), at);
}

/**
 * AES-256-CFB from a zero IV, in place, through AES-CBC (WebCrypto has no CFB). CFB encryption's
 * keystream is O_0 = E(IV), then O_i = E(C_i); CBC-encrypting the plaintext with IV = O_0 yields
 * exactly O_1…O_n (its first block is E(P_1 ⊕ O_0) = E(C_1), and so on), so C_i = P_i ⊕ O_{i-1}.
 * CBC's padding block is never used, and a short last block is just the XOR of its bytes.
 * CHUNK_BYTES at a time, each CBC call chained to the last by its IV (the previous chunk's last
 * output block): a worker then holds one chunk of WebCrypto output, not a part's worth, and makes
 * a third of the garbage it did (a Firefox worker at "Safer" collects it late: memory followed the file).
 */
async function cfbEncryptInPlace(body: Uint8Array<ArrayBuffer>, key: CryptoKey): Promise<void> {
  const zero = new Uint8Array(BLOCK);
  // Keystream, like every IV below (each XORed with public ciphertext gives plaintext): erased after use.
  const first = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: zero }, key, zero));
  let iv = first.slice(0, BLOCK);
  first.fill(0);
  // Aligned at 0, so that 4-byte views fit wherever the body sits in its packet.
  const scratch = new Uint8Array(Math.min(CHUNK_BYTES, body.length));
  try {
    for (let at = 0; at < body.length; at += CHUNK_BYTES) {
      const piece = scratch.subarray(0, Math.min(CHUNK_BYTES, body.length - at));
      piece.set(body.subarray(at, at + piece.length));
      const chained = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv }, key, piece));
      xorBlock(piece, 0, iv);
      const words = Math.max(0, piece.length - BLOCK) >>> 2;
      xorWords(new Int32Array(scratch.buffer, BLOCK, words), new Int32Array(chained.buffer, 0, words));
      for (let i = BLOCK + words * 4; i < piece.length; i++) piece[i] = piece[i]! ^ chained[i - BLOCK]!;
      body.set(piece, at);
      // Every chunk but the last is whole blocks: its last output block chains the next.
      const next = chained.slice(piece.length - BLOCK, piece.length);
      iv.fill(0);
      iv = next;
      chained.fill(0);
    }
  } finally {
    scratch.fill(0);
    iv.fill(0);
  }
}

/**
 * p ^= o, word by word. Without a JIT (Tor Browser "Safer") this loop is the writer's cost: signed
 * 32-bit words (^= yields an int32, which an interpreter keeps unboxed more often than a uint32) and
 * eight a turn of the loop made it about three times as fast as a plain loop over Uint32Arrays
 * (V8 --jitless: 25 MB/s to 75 MB/s).
 */
export function xorWords(p: Int32Array, o: Int32Array): void {
  const whole = p.length - (p.length % 8);
  let i = 0;
  for (; i < whole; i += 8) {
    p[i] = p[i]! ^ o[i]!; p[i + 1] = p[i + 1]! ^ o[i + 1]!; p[i + 2] = p[i + 2]! ^ o[i + 2]!; p[i + 3] = p[i + 3]! ^ o[i + 3]!;
    p[i + 4] = p[i + 4]! ^ o[i + 4]!; p[i + 5] = p[i + 5]! ^ o[i + 5]!; p[i + 6] = p[i + 6]! ^ o[i + 6]!; p[i + 7] = p[i + 7]! ^ o[i + 7]!;
  }
  for (; i < p.length; i++) p[i] = p[i]! ^ o[i]!;
}

function xorBlock(target: Uint8Array, at: number, stream: Uint8Array): void {
  const end = Math.min(target.length, at + stream.length);
  for (let i = at; i < end; i++) target[i] = target[i]! ^ stream[i - at]!;
}

/** What one object is encrypted under: a fresh AES-256 key, and the 16 random bytes of CFB's prefix. */
export type BulkSecrets = { sessionKey: Uint8Array; random: Uint8Array };

/**
 * The object `lead` (its PKESKs) followed by the SEIPDv1 packet holding `data`, in one new buffer
 * whose ArrayBuffer is exactly that (so it can be transferred whole). Native AES and SHA-1 (WebCrypto).
 * `data` and the secrets are left as they are: erasing them is the caller's.
 */
export async function sealBulk(data: Uint8Array, secrets: BulkSecrets, lead: Uint8Array = new Uint8Array(0)): Promise<Uint8Array> {
  const { sessionKey, random } = secrets;
  if (sessionKey.length !== KEY_BYTES || random.length !== BLOCK) throw new RangeError('An AES-256 key is 32 bytes and its prefix 16.');
  if (!(data instanceof Uint8Array) || !(lead instanceof Uint8Array)) throw new TypeError('The data and the lead are bytes.');
  const key = await crypto.subtle.importKey('raw', sessionKey as Uint8Array<ArrayBuffer>, 'AES-CBC', false, ['encrypt']);
  const literalHeader = newPacketHeader(TAG.literal, LITERAL_FIELDS.length + data.length);
  const bodyLength = PREFIX_BYTES + literalHeader.length + LITERAL_FIELDS.length + data.length + MDC_HEADER.length + SHA1_BYTES;
  const header = newPacketHeader(TAG.seipd, 1 + bodyLength);
  // The plaintext is written, and encrypted in place, where the packet's body goes: no second copy of the part.
  const out = new Uint8Array(lead.length + header.length + 1 + bodyLength);
  out.set(lead, 0);
  out.set(header, lead.length);
  out[lead.length + header.length] = SEIPD_VERSION;
  const body = out.subarray(lead.length + header.length + 1);
  try {
    await writePlaintext(body, data, random, literalHeader);
    await cfbEncryptInPlace(body, key);
  } catch (error) {
    body.fill(0); // the plaintext, or some of it
    throw error;
  }
  return out;
}
