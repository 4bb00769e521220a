import * as openpgp from 'openpgp';
import { SourceKeyError } from './errors.ts';
import { readJournalistKey } from './keys.ts';

/**
 * A source's key is pinned to exactly what generateSourceKeyPair makes, because a source chooses
 * everything else about it: an Argon2 lock with gigabytes and hundreds of passes, or the largest
 * iteration count, would make the server pay whenever the no-JS login unlocks it. The pinned lock is
 * openpgp.js 6's own (usage 254, AES-256, iterated and salted SHA-256, count byte 224: 16 MiB hashed
 * per key packet); with a 256-bit passphrase derived by PBKDF2 the count is a margin, not the wall.
 */
export const SOURCE_KEY_NAME = 'Sealdrop source';
/** The epoch, as in the envelope's literal packets: a key made on first contact must not date it. */
export const SOURCE_KEY_DATE = new Date(0);
export const SOURCE_KEY_LOCK = { s2kUsage: 254, cipher: openpgp.enums.symmetric.aes256, s2kType: 'iterated', hash: openpgp.enums.hash.sha256, countByte: 224 } as const;
/** Armour of a Sealdrop source key is about 1 KB; the API refuses longer fields before parsing. */
export const MAX_SOURCE_KEY_CHARS = 8000;

export type CheckedSourceKey = {
  fingerprint: string;
  recipientKeyId: string;
  /** Both halves re-armoured from the checked packets, so no armour header or comment is stored. */
  publicKey: string;
  privateKey: string;
};

const { packet: TAG, publicKey: ALGO } = openpgp.enums;
const PUBLIC_SHAPE = [TAG.publicKey, TAG.userID, TAG.signature, TAG.publicSubkey, TAG.signature];
const PRIVATE_SHAPE = [TAG.secretKey, TAG.userID, TAG.signature, TAG.secretSubkey, TAG.signature];
const KEY_ALGORITHMS = [ALGO.eddsaLegacy, ALGO.ecdh];
const KEY_CURVES = ['eddsaLegacy/ed25519Legacy', 'ecdh/curve25519Legacy'];
// Signature type, then each hashed subpacket as type (0x80: critical) and length, as openpgp.js 6
// writes them: creation time, preferences, issuer, salt notation, flags, features. No expiry (3, 9).
const SIGNATURES = [
  { type: 0x13, subpackets: '130:5 11:3 16:9 20:69 21:5 22:4 25:2 155:2 30:2 33:22' },
  { type: 0x18, subpackets: '130:5 16:9 20:69 155:2 33:22' },
];
const SIGNATURE_HASH = openpgp.enums.hash.sha512;

const refuse = (why: string) => new SourceKeyError(`This is not a key Sealdrop made for a source: ${why}. Reload the page to start again.`);
const notEpoch = () => refuse('a source key must carry the fixed date Sealdrop gives it (1970-01-01), not the time it was made');

type Packet = { tag: number; body: Uint8Array };

const uint32 = (b: Uint8Array, at: number) => (b.length >= at + 4 ? new DataView(b.buffer, b.byteOffset + at, 4).getUint32(0) : -1);

/** A new-format body length and its header size; partial lengths never occur in keys. */
function lengthAt(bytes: Uint8Array, at: number): [number, number] {
  const octet = bytes[at + 1] ?? -1;
  if (octet >= 0 && octet < 192) return [octet, 2];
  if (octet >= 192 && octet < 224 && at + 2 < bytes.length) return [((octet - 192) << 8) + bytes[at + 2]! + 192, 3];
  if (octet === 255 && uint32(bytes, at + 2) >= 0) return [uint32(bytes, at + 2), 6];
  throw refuse('its packets are not framed as Sealdrop frames them');
}

/** Packet framing in the one form openpgp.js writes keys (new format), read before any parser. */
function packetsOf(bytes: Uint8Array): Packet[] {
  const packets: Packet[] = [];
  for (let at = 0; at < bytes.length; ) {
    if ((bytes[at]! & 0xc0) !== 0xc0) throw refuse('its packets are not framed as Sealdrop frames them');
    const [length, header] = lengthAt(bytes, at);
    if (at + header + length > bytes.length) throw refuse('a packet is truncated');
    packets.push({ tag: bytes[at]! & 0x3f, body: bytes.subarray(at + header, at + header + length) });
    at += header + length;
  }
  return packets;
}

/** The hashed subpackets of a v4 signature as "type:length" words; refuses any unhashed subpacket. */
function subpacketsOf(body: Uint8Array): { list: string; created: number } {
  if (body.length < 6) throw refuse('a signature is truncated');
  const end = 6 + ((body[4]! << 8) | body[5]!);
  if (end + 2 > body.length) throw refuse('a signature is truncated');
  const words: string[] = [];
  let created = -1;
  for (let at = 6; at < end; ) {
    const length = body[at]!;
    if (length === 0 || length >= 192 || at + 1 + length > end) throw refuse('a signature holds subpackets Sealdrop does not write');
    if (body[at + 1] === 0x82) created = uint32(body, at + 2);
    words.push(`${body[at + 1]}:${length}`);
    at += 1 + length;
  }
  if (body[end] !== 0 || body[end + 1] !== 0) throw refuse('a signature holds unhashed subpackets');
  return { list: words.join(' '), created };
}

/** Exactly one user ID, one self-signature, one subkey, one binding signature; nothing else. */
function checkShape(packets: Packet[], shape: number[], dated: boolean): void {
  if (packets.map((p) => p.tag).join() !== shape.join()) throw refuse('it must hold one user ID and one encryption subkey, each signed once, and nothing else');
  const [primary, userID, certification, subkey, binding] = packets as [Packet, Packet, Packet, Packet, Packet];
  if (new TextDecoder().decode(userID.body) !== SOURCE_KEY_NAME) throw refuse(`its user ID must be "${SOURCE_KEY_NAME}"`);
  [primary, subkey].forEach((key, i) => {
    if (key.body[0] !== 4 || key.body[5] !== KEY_ALGORITHMS[i]) throw refuse('it must be a v4 Ed25519 key with a Curve25519 subkey');
    if (dated && uint32(key.body, 1) !== 0) throw notEpoch();
  });
  [certification, binding].forEach((signature, i) => {
    const { body } = signature;
    if (body[0] !== 4 || body[1] !== SIGNATURES[i]!.type || body[2] !== ALGO.eddsaLegacy || body[3] !== SIGNATURE_HASH) throw refuse('its signatures are not the ones Sealdrop makes');
    const { list, created } = subpacketsOf(body);
    if (list !== SIGNATURES[i]!.subpackets) throw refuse('its signatures carry other subpackets (an expiry, or more)');
    if (dated && created !== 0) throw notEpoch();
  });
}

async function dearmor(armored: string, type: openpgp.enums.armor): Promise<Uint8Array> {
  if (armored.length > MAX_SOURCE_KEY_CHARS) throw refuse('it is far longer than a source key');
  const unarmored = await openpgp.unarmor(armored).catch(() => {
    throw refuse('it is not armoured OpenPGP');
  });
  if (unarmored.type !== type) throw refuse(type === openpgp.enums.armor.privateKey ? 'a private key was expected' : 'a public key was expected');
  return unarmored.data as Uint8Array;
}

type LockFields = { s2kUsage: number; symmetric: number | null; s2k: { type: string; algorithm: number; c?: number } | null };

/** Both key packets locked exactly as generateSourceKeyPair locks them, so unlocking costs what it should. */
function checkLock(key: openpgp.PrivateKey): void {
  for (const k of key.getKeys()) {
    const packet = k.keyPacket as unknown as LockFields & openpgp.SecretKeyPacket;
    const info = packet.getAlgorithmInfo();
    if (!KEY_CURVES.includes(`${info.algorithm}/${info.curve}`)) throw refuse('it must be an Ed25519 key with a Curve25519 subkey');
    const { s2kUsage, symmetric, s2k } = packet;
    const pinned = SOURCE_KEY_LOCK;
    if (packet.isDecrypted() !== false || s2kUsage !== pinned.s2kUsage || symmetric !== pinned.cipher || s2k?.type !== pinned.s2kType || s2k.algorithm !== pinned.hash || s2k.c !== pinned.countByte) {
      throw refuse('its private key must be locked with a passphrase exactly as Sealdrop locks it');
    }
  }
}

async function readPrivate(armored: string, dated: boolean): Promise<openpgp.PrivateKey> {
  const bytes = await dearmor(armored, openpgp.enums.armor.privateKey);
  checkShape(packetsOf(bytes), PRIVATE_SHAPE, dated);
  const key = await openpgp.readPrivateKey({ binaryKey: bytes }).catch(() => {
    throw refuse('its packets do not parse');
  });
  checkLock(key);
  return key;
}

const sameBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Registration: the pair must be exactly what generateSourceKeyPair makes (shape, lock, epoch
 * dates) and the private half must be the public half's. Parsing is bounded by the 8000-character
 * cap: key parsing never decompresses, and nothing here unlocks the key.
 */
export async function checkSourceKeyPair(publicArmored: string, privateArmored: string): Promise<CheckedSourceKey> {
  const publicBytes = await dearmor(publicArmored, openpgp.enums.armor.publicKey);
  checkShape(packetsOf(publicBytes), PUBLIC_SHAPE, true);
  const privateKey = await readPrivate(privateArmored, true);
  const mine = privateKey.toPublic();
  const theirs = await openpgp.readKey({ binaryKey: publicBytes }).catch(() => {
    throw refuse('its packets do not parse');
  });
  const fingerprints = (k: openpgp.Key) => k.getKeys().map((x) => x.getFingerprint()).join();
  if (fingerprints(mine) !== fingerprints(theirs) || !sameBytes(mine.write(), theirs.write())) throw refuse('the private key does not belong to the public key');
  // Signatures, features (no SEIPDv2) and the encryption subkey, checked as for every key Sealdrop encrypts to.
  const checked = await readJournalistKey(publicBytes);
  return { fingerprint: checked.fingerprint, recipientKeyId: checked.recipientKeyId, publicKey: checked.armored, privateKey: privateKey.armor() };
}

/**
 * Before the server unlocks a stored key (no-JS login): the same shape and lock, so that a hostile
 * key stored before these checks existed is never unlocked. Its dates are not checked here: keys
 * registered before the epoch rule carry real times, which cost nothing to unlock.
 */
export async function checkSourceKeyLock(privateArmored: string): Promise<void> {
  await readPrivate(privateArmored, false);
}
