import { createHash, randomBytes } from 'node:crypto';
import type { PublicKey } from '../../common/envelope/index.ts';
import { SESSION_KEY_BYTES } from '../../common/envelope/session-key.ts';
import { wrapSessionKeyNatively } from './pkesk-native.ts';
import { CfbInPlace } from './cfb-cbc.ts';
// The page's writer's packet header (the length in the fewest octets, as openpgp.js writes a packet
// it holds whole) and secrets: the same envelope, written here with node:crypto.
import { newPacketHeader as packetHeader, type BulkSecrets } from '../../common/envelope/seipd-write.ts';

// The bulk symmetric layer of the envelope (docs/envelope.md) in native code: openpgp.js spent most
// of the no-JavaScript path's time copying, hashing SHA-1 in JavaScript and collecting garbage.
// The bytes are exactly those encryptObject writes for the same session key and random prefix
// (tests/unit/envelope/seipd.test.ts compares them): a SEIPDv1 packet with a definite length in
// the fewest octets, holding, AES-256-CFB encrypted from a zero IV, the 18-byte random prefix, an
// uncompressed literal packet (binary, empty name, the epoch) and the MDC packet (SHA-1).
// The v3 PKESKs that wrap the session key for each journalist: natively for cv25519 subkeys
// (pkesk-native.ts), by openpgp.js for any other.

const TAG = { literal: 11, seipd: 18 } as const;
const AES_BLOCK = 16;
// The 16 random bytes and a repeat of their last two.
const PREFIX_BYTES = AES_BLOCK + 2;
// Format 'b' (binary), a file name of length 0, a date of 0: nothing about the file or the time.
const LITERAL_FIELDS = Buffer.from([0x62, 0, 0, 0, 0, 0]);
// The MDC packet's header (old-format tag 19, length 20): SHA-1 covers it too.
const MDC_HEADER = Buffer.from([0xd3, 0x14]);
const MDC_BYTES = MDC_HEADER.length + 20;
const SEIPD_VERSION = 1;

// Hashed (SHA-1, and SHA-256 when asked) and encrypted a slice at a time while the slice is in
// the CPU's cache, its ciphertext XORed in over it (nojs/cfb-cbc.ts). 64 KiB, not 256 (stop 33):
// 4 MiB parts sealed alone, 3.5 against 3.8 ns of CPU a byte (medians, load 8-11).
const SLICE = 64 * 1024;

/** How many bytes of the encrypted stream come before a part's first byte: the prefix and the literal packet's head. */
export function streamLead(length: number): number {
  return PREFIX_BYTES + packetHeader(TAG.literal, LITERAL_FIELDS.length + length).length + LITERAL_FIELDS.length;
}

/** What a part's bytes come to before them: the SEIPD header, its version, the prefix and the literal packet's head. */
export function seipdHeadLength(length: number): number {
  const lead = streamLead(length);
  return packetHeader(TAG.seipd, 1 + lead + length + MDC_BYTES).length + 1 + lead;
}

/** Where an object sealed in place lies in its memory, and the SHA-256 of its plaintext when asked for. */
export type SealedSpan = { start: number; end: number; sha256?: string };

/**
 * Seals `memory[at, at + length)` where it lies: the ciphertext of each byte overwrites that byte
 * (CFB keeps lengths), `lead` (the PKESKs) and the packet's head go into the room before `at`, the
 * MDC packet after. Nothing part-sized is allocated and the plaintext is gone once it returns: the
 * no-JavaScript path's parts live in memory shared with the worker that seals them
 * (nojs/part-memory.ts); if sealing fails, all of the object's span is erased. `sha256`: the
 * plaintext's SHA-256 too, in the same pass. Fastest when the encrypted stream (the prefix) begins
 * 4-byte aligned: then its keystream XORs a word at a time without a copy.
 */
export function sealInPlace(memory: Uint8Array, at: number, length: number, secrets: BulkSecrets, lead: Uint8Array = new Uint8Array(0), sha256 = false): SealedSpan {
  const { sessionKey, random } = secrets;
  if (sessionKey.length !== SESSION_KEY_BYTES || random.length !== AES_BLOCK) throw new RangeError('An AES-256 key is 32 bytes and its prefix 16.');
  const start = at - seipdHeadLength(length) - lead.length;
  const end = at + length + MDC_BYTES;
  if (start < 0 || end > memory.length) throw new RangeError('No room around this part for its packet.');
  const stream = writeHead(memory, start, lead, length, random);
  // The MDC covers its own header; its digest is written, then encrypted, once the rest is hashed.
  memory.set(MDC_HEADER, at + length);
  const mdc = createHash('sha1');
  const whole = sha256 ? createHash('sha256') : null;
  const cfb = new CfbInPlace(sessionKey);
  try {
    const put = (from: number, to: number) => {
      mdc.update(memory.subarray(from, to)); // hashed before its ciphertext overwrites it
      cfb.encrypt(memory, from, to);
    };
    put(stream, at);
    for (let from = at; from < at + length; from += SLICE) {
      const to = Math.min(from + SLICE, at + length);
      whole?.update(memory.subarray(from, to));
      put(from, to);
    }
    mdc.update(memory.subarray(at + length, at + length + MDC_HEADER.length));
    const digest = mdc.digest();
    memory.set(digest, at + length + MDC_HEADER.length);
    digest.fill(0); // a hash of the plaintext: encrypted in place next, not left in the clear
    cfb.encrypt(memory, at + length, end);
  } catch (error) {
    // What is in the clear here: part of the plaintext, perhaps the SHA-1 of all of it.
    memory.fill(0, start, end);
    throw error;
  } finally {
    cfb.end();
  }
  return { start, end, ...(whole ? { sha256: whole.digest('hex') } : {}) };
}

/** Writes the lead, the SEIPD header and version, the prefix and the literal packet's head, in the clear, from `start`; returns where the prefix (the encrypted stream) begins. */
function writeHead(memory: Uint8Array, start: number, lead: Uint8Array, length: number, random: Uint8Array): number {
  const literal = Buffer.concat([packetHeader(TAG.literal, LITERAL_FIELDS.length + length), LITERAL_FIELDS]);
  const header = packetHeader(TAG.seipd, 1 + PREFIX_BYTES + literal.length + length + MDC_BYTES);
  memory.set(lead, start);
  memory.set(header, start + lead.length);
  const stream = start + lead.length + header.length + 1;
  memory[stream - 1] = SEIPD_VERSION;
  memory.set(random, stream);
  // The prefix repeats its last two bytes: a quick check a reader makes that the key is right.
  memory.set(random.subarray(AES_BLOCK - 2), stream + AES_BLOCK);
  memory.set(literal, stream + PREFIX_BYTES);
  return stream;
}

/**
 * The SEIPDv1 packet holding `data`, written after `lead` (the PKESKs) into one new buffer. Native
 * AES and SHA-1 (node:crypto, OpenSSL). The buffer is a view placed so that the encrypted stream
 * begins 4-byte aligned (sealInPlace's fast way); the bytes before the view are zero.
 */
export function seipdPacket(data: Uint8Array, secrets: BulkSecrets, lead: Uint8Array = new Uint8Array(0)): Buffer {
  const at = lead.length + seipdHeadLength(data.length);
  const size = at + data.length + MDC_BYTES;
  const room = Buffer.allocUnsafeSlow(size + 3);
  const skip = (4 - ((room.byteOffset + at - streamLead(data.length)) & 3)) & 3;
  room.fill(0, 0, skip);
  room.fill(0, skip + size);
  const out = room.subarray(skip, skip + size);
  out.set(data, at);
  sealInPlace(out, at, data.length, secrets, lead);
  return out;
}

/** A fresh session key and CFB prefix for one object, its PKESKs for `recipients`; the key is erased once `use` returns. */
async function underFreshKey<T>(recipients: PublicKey[], use: (secrets: BulkSecrets, pkesks: Uint8Array) => T): Promise<T> {
  const sessionKey = randomBytes(SESSION_KEY_BYTES);
  try {
    const pkesks = await wrapSessionKeyNatively(sessionKey, recipients);
    const random = randomBytes(AES_BLOCK);
    try {
      return use({ sessionKey, random }, pkesks);
    } finally {
      random.fill(0);
    }
  } finally {
    sessionKey.fill(0);
  }
}

/**
 * Encrypts one part as encryptObject does (v3 PKESKs, then SEIPDv1) under a fresh session key, with
 * the bulk layer native. The session key is erased once it has been used.
 */
export function sealObject(data: Uint8Array, recipients: PublicKey[]): Promise<Buffer> {
  return underFreshKey(recipients, (secrets, pkesks) => seipdPacket(data, secrets, pkesks));
}

/** sealObject where the part lies (sealInPlace), with its plaintext's SHA-256. */
export function sealObjectInPlace(memory: Uint8Array, at: number, length: number, recipients: PublicKey[]): Promise<Required<SealedSpan>> {
  return underFreshKey(recipients, (secrets, pkesks) => sealInPlace(memory, at, length, secrets, pkesks, true) as Required<SealedSpan>);
}
