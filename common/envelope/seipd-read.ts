import { DecryptionError } from './errors.ts';
import { readObjectHeaders } from './headers.ts';

// The reading half of the bulk layer (server/nojs/seipd.ts writes it): a SEIPDv1 packet is CFB
// ciphertext, from a zero IV, of a random prefix, the packets it holds and the MDC packet (SHA-1
// over everything before the hash). A caller with native AES and SHA-1 (sealdrop decrypt, in
// worker threads) decrypts the chunks this finds and hands the result back here to be verified and
// unpacked; openpgp.js still unwraps the session key. No cipher or hash here: common/ has no node:.
// Stricter than openpgp.js on purpose: one uncompressed literal packet and nothing else, which is
// all any Sealdrop writer puts there (and what gpg --compress-algo none and sq write).

const LITERAL = 11;
const COMPRESSED = 8;
const MDC_HEADER = [0xd3, 0x14] as const;
const MDC_PACKET = 22;
const SHA1_BYTES = 20;
/** The literal formats openpgp.js reads: binary, text, UTF-8, MIME. */
const FORMATS = new Set([0x62, 0x74, 0x75, 0x6d]);

function refuse(why: string): never {
  throw new DecryptionError(`The data packet is malformed: ${why}.`);
}

/**
 * The ciphertext of an object's SEIPDv1 packet (after its version byte), chunk by chunk as its
 * length octets split it; refused unless the whole object is v3 PKESKs and one SEIPDv1 packet
 * running to its last byte (headers.ts, the server's own check).
 */
export function seipdCiphertext(object: Uint8Array): Uint8Array[] {
  const { sealed } = readObjectHeaders(object);
  const chunks: Uint8Array[] = [];
  let at = sealed.bodyAt;
  // The first chunk's length was read with the header; readObjectHeaders has walked them all already.
  let { length, partial } = lengthBefore(object, sealed.at);
  for (;;) {
    chunks.push(object.subarray(at, at + length));
    if (!partial) break;
    ({ length, partial, at } = newLength(object, at + length));
  }
  chunks[0] = chunks[0]!.subarray(1); // the version byte, 1 (checked by readObjectHeaders)
  return chunks;
}

type Length = { length: number; partial: boolean; at: number };

/** A new-format length at `at` (RFC 4880 4.2.2): the length, whether partial, where the body starts. */
function newLength(data: Uint8Array, at: number): Length {
  const o1 = data[at]!;
  if (o1 < 192) return { length: o1, partial: false, at: at + 1 };
  if (o1 < 224) return { length: ((o1 - 192) << 8) + data[at + 1]! + 192, partial: false, at: at + 2 };
  if (o1 < 255) return { length: 2 ** (o1 & 0x1f), partial: true, at: at + 1 };
  return { length: data[at + 1]! * 0x1000000 + ((data[at + 2]! << 16) | (data[at + 3]! << 8) | data[at + 4]!), partial: false, at: at + 5 };
}

/** How many octets a new-format length starting with `o1` takes. */
const lengthOctets = (o1: number): number => (o1 < 192 ? 1 : o1 < 224 ? 2 : o1 < 255 ? 1 : 5);

/** A packet header at `at`, bounds-checked against `end`: its tag and its first chunk's length. */
function headerAt(data: Uint8Array, at: number, end: number): Length & { tag: number } {
  const first = data[at]!;
  if (!(first & 0x80)) refuse('bytes that are no OpenPGP packet follow the prefix');
  const o1 = data[at + 1]!;
  const size = first & 0x40 ? lengthOctets(o1) : [1, 2, 4, 0][first & 0x03]!;
  if (size === 0) refuse('a packet has an indeterminate length');
  if (at + 1 + size > end) refuse('it ends in the middle of a packet header');
  if (first & 0x40) return { tag: first & 0x3f, ...newLength(data, at + 1) };
  let length = 0;
  for (let i = 1; i <= size; i++) length = length * 256 + data[at + i]!;
  return { tag: (first >> 2) & 0x0f, length, partial: false, at: at + 1 + size };
}

const lengthBefore = (object: Uint8Array, at: number): Length => headerAt(object, at, object.length);

/** The bytes of one packet's body from its header on, joining partial chunks; `end` bounds every read. */
function bodyOf(data: Uint8Array, first: Length, end: number): { body: Uint8Array; end: number } {
  const chunks: Uint8Array[] = [];
  let { length, partial, at } = first;
  for (;;) {
    if (at + length > end) refuse('a packet claims more bytes than it holds');
    chunks.push(data.subarray(at, at + length));
    if (!partial) break;
    const next = at + length;
    if (next >= end || next + lengthOctets(data[next]!) > end) refuse('a partial packet has no final chunk');
    ({ length, partial, at } = newLength(data, next));
  }
  if (chunks.length === 1) return { body: chunks[0]!, end: at + length };
  const body = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let put = 0;
  for (const c of chunks) body.set(c, (put += c.length) - c.length);
  return { body, end: at + length };
}

/**
 * Where the file's bytes will lie in a decrypted SEIPDv1 body of `total` bytes, guessed from its
 * first decrypted bytes (`head`) while the rest is still being decrypted, so that a caller can hash
 * them piece by piece while they are in the cache: a literal packet of one definite length ending
 * where the MDC packet starts. Null when it is framed in any other way, or not yet readable in
 * `head`. Nothing is verified here: readSeipdPlaintext decides, and a caller uses its answer only
 * where readSeipdPlaintext returns exactly this range.
 */
export function literalDataRange(head: Uint8Array, blockSize: number, total: number): { start: number; end: number } | null {
  const start = blockSize + 2;
  const mdcAt = total - MDC_PACKET;
  if (mdcAt <= start || head.length <= start + 1) return null;
  try {
    const header = headerAt(head, start, Math.min(head.length, mdcAt));
    if (header.tag !== LITERAL || header.partial || header.at + header.length !== mdcAt || header.at + 1 >= head.length) return null;
    const dataAt = header.at + 2 + head[header.at + 1]! + 4;
    return dataAt <= mdcAt ? { start: dataAt, end: mdcAt } : null;
  } catch {
    return null;
  }
}

/**
 * Verifies a decrypted SEIPDv1 body (`blockSize` + 2 prefix bytes, the packets, the MDC packet)
 * and returns the literal packet's data. The MDC is checked first, over every byte; then exactly
 * one literal packet must fill the space between prefix and MDC. The prefix's repeated bytes are
 * not compared, as openpgp.js does not: the MDC covers them, and an early answer is an oracle.
 */
export function readSeipdPlaintext(plain: Uint8Array, blockSize: number, sha1: (data: Uint8Array) => Uint8Array): Uint8Array {
  const start = blockSize + 2;
  const mdcAt = plain.length - MDC_PACKET;
  if (mdcAt < start) refuse('it is too short to hold a prefix and an MDC');
  const expected = sha1(plain.subarray(0, plain.length - SHA1_BYTES));
  const actual = plain.subarray(plain.length - SHA1_BYTES);
  let diff = plain[mdcAt]! ^ MDC_HEADER[0] | plain[mdcAt + 1]! ^ MDC_HEADER[1];
  for (let i = 0; i < SHA1_BYTES; i++) diff |= expected[i]! ^ actual[i]!;
  if (diff !== 0) refuse('the modification detection code does not match (altered, truncated or the wrong key)');
  if (mdcAt === start) refuse('it holds no literal packet');
  const first = plain[start]!;
  const tag = first & 0x40 ? first & 0x3f : (first >> 2) & 0x0f;
  if (first & 0x80 && tag === COMPRESSED) refuse('it holds a compressed packet, which Sealdrop never writes');
  const header = headerAt(plain, start, mdcAt);
  if (header.tag !== LITERAL) refuse(`it holds a packet of tag ${header.tag} where the literal packet belongs`);
  const { body, end } = bodyOf(plain, header, mdcAt);
  if (end !== mdcAt) refuse('bytes follow the literal packet');
  if (body.length < 6 || !FORMATS.has(body[0]!)) refuse('the literal packet\'s fields are malformed');
  const dataAt = 2 + body[1]! + 4;
  if (dataAt > body.length) refuse('the literal packet\'s name runs past its end');
  return body.subarray(dataAt);
}
