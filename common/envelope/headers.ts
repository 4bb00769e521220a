import { NotEncryptedError, WrongRecipientsError } from './errors.ts';

// The server checks uploads by reading packet framing by hand: handing hostile bytes to a full
// OpenPGP parser would unpack compressed packets (a few hundred bytes inflating to gigabytes) and
// skip marker or unknown packets whose bytes would then be stored. Only plain byte reads happen
// here, each at most once, so time and memory follow the bytes actually sent.

const TAG = { pkesk: 1, seipd: 18 } as const;
const KNOWN_TAGS: Record<number, string> = {
  2: 'a signature', 3: 'a password-encrypted session key', 4: 'a one-pass signature', 5: 'a secret key', 6: 'a public key',
  7: 'a secret subkey', 8: 'a compressed packet', 9: 'an unprotected (SED) data packet', 10: 'a marker packet',
  11: 'a literal (plaintext) packet', 12: 'a trust packet', 13: 'a user ID', 14: 'a public subkey', 17: 'a user attribute',
  19: 'a modification detection code', 20: 'an AEAD data packet', 21: 'a padding packet',
};
// RSA-8192 is the largest key a journalist could hold: 10 bytes of fields and a 1026-byte MPI.
const MAX_PKESK_BODY = 1100;
const RSA = new Set([1, 2]);
const ECDH = 18;
// AES key wrap output: whole 8-byte blocks, at least three (RFC 3394).
const MIN_WRAPPED_KEY = 24;
// RFC 4880 4.2.2.4: the first partial chunk MUST be at least 512 bytes.
const MIN_FIRST_PARTIAL = 512;
// Version byte, the random prefix of the smallest block cipher (8 + 2) and the 22-byte MDC packet.
const MIN_SEIPD_BODY = 1 + 10 + 22;

/** A NotEncryptedError that also says, for callers adding their own context, what was wrong. */
class FramingError extends NotEncryptedError {
  constructor(readonly why: string) {
    super(`This is not an encrypted OpenPGP message Sealdrop accepts: ${why}. Nothing was stored.`);
  }
}

function refuse(why: string): never {
  throw new FramingError(why);
}

/** One byte, refusing a read past `limit` (the object's end, or the current packet's). */
function byteAt(data: Uint8Array, at: number, limit = data.length): number {
  const b = data[at];
  if (at >= limit || b === undefined) return refuse('it ends in the middle of a packet');
  return b;
}

const uint32At = (data: Uint8Array, at: number): number =>
  byteAt(data, at) * 0x1000000 + ((byteAt(data, at + 1) << 16) | (byteAt(data, at + 2) << 8) | byteAt(data, at + 3));

/** A length field: `next` is where the body (or chunk) starts. */
type Length = { length: number; partial: boolean; next: number };

function newFormatLength(data: Uint8Array, at: number): Length {
  const o1 = byteAt(data, at);
  if (o1 < 192) return { length: o1, partial: false, next: at + 1 };
  if (o1 < 224) return { length: ((o1 - 192) << 8) + byteAt(data, at + 1) + 192, partial: false, next: at + 2 };
  if (o1 < 255) return { length: 2 ** (o1 & 0x1f), partial: true, next: at + 1 };
  return { length: uint32At(data, at + 1), partial: false, next: at + 5 };
}

function readHeader(data: Uint8Array, at: number): Length & { tag: number } {
  const first = byteAt(data, at);
  if (!(first & 0x80)) refuse(at === 0 ? 'it does not start with a binary OpenPGP packet (plaintext, or ASCII armour?)' : 'bytes that are no OpenPGP packet follow its session keys');
  if (first & 0x40) return { tag: first & 0x3f, ...newFormatLength(data, at + 1) };
  const type = first & 0x03;
  if (type === 3) refuse('a packet has an indeterminate length');
  const length = type === 0 ? byteAt(data, at + 1) : type === 1 ? (byteAt(data, at + 1) << 8) | byteAt(data, at + 2) : uint32At(data, at + 1);
  return { tag: (first >> 2) & 0x0f, length, partial: false, next: at + 2 + (type === 0 ? 0 : type === 1 ? 1 : 3) };
}

/** Where a multiprecision integer ends; its bit count must name its top set bit, as RFC 4880 3.2 says. */
function mpiEnd(data: Uint8Array, at: number, end: number): number {
  const bits = (byteAt(data, at, end) << 8) | byteAt(data, at + 1, end);
  const top = byteAt(data, at + 2, end);
  if (bits === 0 || top >> ((bits - 1) & 7) !== 1) refuse('a session key packet holds a malformed number');
  return at + 2 + ((bits + 7) >> 3);
}

/** A v3 PKESK body between `start` and `end`: returns the recipient's key ID in lower-case hex. */
function readPkesk(data: Uint8Array, start: number, end: number): string {
  if (end - start > MAX_PKESK_BODY) refuse('a session key packet is larger than any journalist key makes');
  const version = byteAt(data, start, end);
  if (version !== 3) refuse(`a session key packet is version ${version}; only v3, for an integrity-protected SEIPDv1 packet that GnuPG 2.2 reads, is accepted`);
  const algorithm = byteAt(data, start + 9, end);
  let at = start + 10;
  if (RSA.has(algorithm)) at = mpiEnd(data, at, end);
  else if (algorithm === ECDH) {
    at = mpiEnd(data, at, end);
    const wrapped = byteAt(data, at, end);
    if (wrapped < MIN_WRAPPED_KEY || wrapped % 8 !== 0) refuse('a session key packet holds a malformed wrapped key');
    at += 1 + wrapped;
  } else refuse('a session key packet uses a public-key algorithm Sealdrop does not use');
  if (at !== end) refuse('a session key packet has bytes its fields do not account for');
  return Array.from(data.subarray(start + 1, start + 9), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Walks the SEIPD body's chunks (one definite length, or partial ones ending definite): its end and its body's length. */
function seipdEnd(data: Uint8Array, first: Length): { end: number; total: number } {
  if (first.partial && first.length < MIN_FIRST_PARTIAL) refuse('the data packet starts with a partial chunk under 512 bytes');
  let { length, partial, next } = first;
  let total = length;
  // Every round consumes a length octet and at least one body byte, so the rounds are bounded by the input.
  while (next + length <= data.length && partial) {
    ({ length, partial, next } = newFormatLength(data, next + length));
    total += length;
  }
  if (next + length > data.length) refuse('a packet claims more bytes than were sent');
  if (total < MIN_SEIPD_BODY) refuse('the data packet is too short to hold any ciphertext');
  return { end: next + length, total };
}

/**
 * Where the SEIPD packet sits: its first header byte, where its body starts, whether its length is
 * split into partial chunks, and the body's whole length (every chunk; -1 when only a prefix was read).
 */
export type SealedData = { at: number; bodyAt: number; partial: boolean; length: number };

/**
 * Reads the leading PKESKs and stops at the SEIPD header; `whole` also checks that the SEIPD runs
 * to the exact end of the data. Anything else anywhere is refused.
 */
function readFraming(data: Uint8Array, whole: boolean): ObjectHeaders {
  const recipientKeyIds: string[] = [];
  const pkesks: PacketSpan[] = [];
  for (let at = 0; ; ) {
    const header = readHeader(data, at);
    if (header.tag === TAG.seipd) {
      if (recipientKeyIds.length === 0) refuse('it is not encrypted to any public key');
      const version = byteAt(data, header.next, header.next + header.length);
      if (version !== 1) refuse(`its data packet is version ${version}; it must be an integrity-protected SEIPDv1 packet, which GnuPG 2.2 reads`);
      const sealed = { at, bodyAt: header.next, partial: header.partial, length: -1 };
      if (!whole) return { recipientKeyIds, pkesks, sealed };
      const { end, total } = seipdEnd(data, header);
      if (end !== data.length) refuse('there are bytes after the data packet');
      return { recipientKeyIds, pkesks, sealed: { ...sealed, length: total } };
    }
    const span = pkeskAt(data, at, header);
    recipientKeyIds.push(span.keyId);
    pkesks.push(span);
    at = span.end;
  }
}

/** The PKESK packet whose header was read at `at`; any other packet is refused. */
function pkeskAt(data: Uint8Array, at: number, header: Length & { tag: number }): PacketSpan {
  if (header.tag !== TAG.pkesk) refuse(`it holds ${KNOWN_TAGS[header.tag] ?? `an unknown packet (tag ${header.tag})`}; only public-key session keys and one SEIPDv1 data packet may be sent`);
  if (header.partial) refuse('a session key packet has a partial length');
  const end = header.next + header.length;
  if (end > data.length) refuse('a packet claims more bytes than were sent');
  return { keyId: readPkesk(data, header.next, end), at, end };
}

/** A run of v3 PKESK packets and nothing else, to its last byte (the packets a re-wrap adds). */
export function readSessionKeyPackets(data: Uint8Array): PacketSpan[] {
  const spans: PacketSpan[] = [];
  for (let at = 0; at < data.length; at = spans[spans.length - 1]!.end) spans.push(pkeskAt(data, at, readHeader(data, at)));
  return spans;
}

/** One PKESK packet: the key ID it names and its bytes' span, header included (re-wrapping keeps them as they are). */
export type PacketSpan = { keyId: string; at: number; end: number };
export type ObjectHeaders = { recipientKeyIds: string[]; pkesks: PacketSpan[]; sealed: SealedData };

/**
 * Reads the framing of an uploaded object without decrypting or unpacking anything: one or more
 * v3 PKESKs, then exactly one SEIPDv1 packet running to the end. The server holds no key to decrypt.
 */
export function readObjectHeaders(data: Uint8Array): ObjectHeaders {
  return readFraming(data, true);
}

/** The key IDs of the PKESKs that open a stored object, from only its first bytes (checked in full on upload). */
export function readRecipientKeyIds(prefix: Uint8Array): string[] {
  try {
    return readFraming(prefix, false).recipientKeyIds;
  } catch (error) {
    if (!(error instanceof FramingError)) throw error;
    throw new NotEncryptedError(`A stored object's recipients cannot be read: ${error.why}.`);
  }
}

/**
 * The PKESKs and the SEIPD header from a stored object's first bytes (rewrap.ts): refused unless
 * the prefix holds every PKESK and the SEIPD packet's first bytes.
 */
export function readHeaderPrefix(prefix: Uint8Array): ObjectHeaders {
  return readFraming(prefix, false);
}

/** Whether key IDs read from an object name exactly the expected keys, each once. */
export function addressedToExactly(recipientKeyIds: readonly string[], expectedKeyIds: readonly string[]): boolean {
  const expected = new Set(expectedKeyIds.map((k) => k.toLowerCase()));
  const got = new Set(recipientKeyIds.map((k) => k.toLowerCase()));
  return got.size === recipientKeyIds.length && got.size === expected.size && [...got].every((k) => expected.has(k));
}

/** Refuses key IDs read from an object unless they name exactly the expected keys, each once. */
export function assertRecipients(recipientKeyIds: readonly string[], expectedKeyIds: readonly string[]): void {
  if (!addressedToExactly(recipientKeyIds, expectedKeyIds)) {
    throw new WrongRecipientsError(
      'This was not encrypted to exactly the current journalist keys (they may have changed). Reload the page and send again.',
    );
  }
}

/** Refuses an object unless it is addressed to exactly the expected journalist keys, each once. */
export function assertAddressedTo(data: Uint8Array, expectedKeyIds: readonly string[]): void {
  assertRecipients(readObjectHeaders(data).recipientKeyIds, expectedKeyIds);
}
