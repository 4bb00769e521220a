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

/** A new-format packet header with the length in the fewest octets (RFC 4880 4.2.2), as openpgp.js writes a packet it holds whole. */
export function newPacketHeader(tag: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0 || length > 0xffffffff) throw new RangeError('A packet of this length cannot be written with a definite length.');
  if (length < 192) return Uint8Array.of(0xc0 | tag, length);
  if (length < 8384) return Uint8Array.of(0xc0 | tag, ((length - 192) >> 8) + 192, (length - 192) & 0xff);
  return Uint8Array.of(0xc0 | tag, 0xff, length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff);
}

/** The plaintext CFB encrypts, in one buffer at offset 0 (so 4-byte views fit): prefix, literal packet, MDC packet. */
async function cfbPlaintext(data: Uint8Array, random: Uint8Array): Promise<Uint8Array<ArrayBuffer>> {
  const literalHeader = newPacketHeader(TAG.literal, LITERAL_FIELDS.length + data.length);
  const length = PREFIX_BYTES + literalHeader.length + LITERAL_FIELDS.length + data.length + MDC_HEADER.length + SHA1_BYTES;
  const plain = new Uint8Array(length);
  // The prefix repeats its last two bytes: a quick check a reader makes that the key is right.
  plain.set(random, 0);
  plain.set(random.subarray(BLOCK - 2), BLOCK);
  let at = PREFIX_BYTES;
  for (const piece of [literalHeader, LITERAL_FIELDS, data, MDC_HEADER]) {
    plain.set(piece, at);
    at += piece.length;
  }
  let sha1: ArrayBuffer;
  try {
    sha1 = await crypto.subtle.digest('SHA-1', plain.subarray(0, at));
  } catch (error) {
    plain.fill(0); // the part's plaintext, copied in above
    throw error;
  }
  plain.set(new Uint8Array(sha1), at);
  return plain;
}

/**
 * AES-256-CFB from a zero IV, in place, through AES-CBC (WebCrypto has no CFB). CFB encryption's
 * keystream is O_0 = E(IV), then O_i = E(C_i); CBC-encrypting the plaintext with IV = O_0 yields
 * exactly O_1…O_n (its first block is E(P_1 ⊕ O_0) = E(C_1), and so on), so C_i = P_i ⊕ O_{i-1}.
 * CBC's padding block is never used, and a short last block is just the XOR of its bytes.
 */
async function cfbEncryptInPlace(plain: Uint8Array<ArrayBuffer>, key: CryptoKey): Promise<void> {
  const zero = new Uint8Array(BLOCK);
  const first = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: zero }, key, zero), 0, BLOCK);
  const chained = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-CBC', iv: first }, key, plain));
  xorBlock(plain, 0, first);
  const words = (plain.length - BLOCK) >>> 2;
  xorWords(new Int32Array(plain.buffer, plain.byteOffset + BLOCK, words), new Int32Array(chained.buffer, chained.byteOffset, words));
  for (let i = BLOCK + words * 4; i < plain.length; i++) plain[i] = plain[i]! ^ chained[i - BLOCK]!;
  chained.fill(0);
}

/**
 * p ^= o, word by word. Without a JIT (Tor Browser "Safer") this loop is the writer's cost: signed
 * 32-bit words (^= yields an int32, which an interpreter keeps unboxed more often than a uint32) and
 * eight a turn of the loop made it about three times as fast as a plain loop over Uint32Arrays
 * (V8 --jitless: 25 MB/s to 75 MB/s).
 */
function xorWords(p: Int32Array, o: Int32Array): void {
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
  const body = await cfbPlaintext(data, random);
  try {
    await cfbEncryptInPlace(body, key);
  } catch (error) {
    body.fill(0); // still the plaintext
    throw error;
  }
  const header = newPacketHeader(TAG.seipd, 1 + body.length);
  const out = new Uint8Array(lead.length + header.length + 1 + body.length);
  out.set(lead, 0);
  out.set(header, lead.length);
  out[lead.length + header.length] = SEIPD_VERSION;
  out.set(body, lead.length + header.length + 1);
  return out;
}
