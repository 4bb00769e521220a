import { createHash } from 'node:crypto';

// What the store shows or checks about a key is computed from the key itself, never read from a
// column beside it: a forged or restored database could name the newsroom's real fingerprint
// while `public_key` holds another key. This reads only the packet framing of the armoured public
// key the store holds (the envelope's openpgp parse, asynchronous, is for encrypting; recipients.ts
// checks the two agree) and computes v4 fingerprints (RFC 4880 §12.2), synchronously, so that
// every open of the store and every row it returns can be checked.

/** What a stored public key really is. */
export type KeyIds = {
  /** Upper-case hex fingerprint of the primary key. */
  fingerprint: string;
  /** Lower-case hex key IDs: the primary key's, then each subkey's, in the key's order. */
  keyIds: string[];
  /** Lower-case hex key IDs of the subkeys alone. */
  subkeyIds: string[];
};

/** A stored key that is not one armoured v4 OpenPGP public key. */
export class StoredKeyError extends Error {
  override name = 'StoredKeyError';
}

const PUBLIC_KEY = 6;
const PUBLIC_SUBKEY = 14;
// Signature, trust, user ID, user attribute: the rest of a transferable public key.
const OTHER_ALLOWED = new Set([2, 12, 13, 17]);
const ARMOR = /^-----BEGIN PGP PUBLIC KEY BLOCK-----\n(?:[A-Za-z][A-Za-z-]*: [^\n]*\n)*\n([A-Za-z0-9+/=\n]+?)\n(?:=([A-Za-z0-9+/]{4})\n)?-----END PGP PUBLIC KEY BLOCK-----$/;

export function keyIdsOf(armored: string): KeyIds {
  const packets = packetsOf(dearmor(armored));
  const [first, ...rest] = packets;
  if (first?.tag !== PUBLIC_KEY) throw new StoredKeyError('it does not begin with a public key packet');
  const primary = v4Fingerprint(first.body);
  const subkeyIds: string[] = [];
  for (const p of rest) {
    if (p.tag === PUBLIC_SUBKEY) subkeyIds.push(v4Fingerprint(p.body).slice(-16).toLowerCase());
    else if (!OTHER_ALLOWED.has(p.tag)) throw new StoredKeyError(`it holds a packet of type ${p.tag}, which a public key never does`);
  }
  return { fingerprint: primary, keyIds: [primary.slice(-16).toLowerCase(), ...subkeyIds], subkeyIds };
}

function dearmor(armored: string): Buffer {
  const match = ARMOR.exec(armored.replace(/\r\n/g, '\n').trim());
  if (!match) throw new StoredKeyError('it is not one ASCII-armoured public key block');
  const base64 = match[1]!.replace(/\n/g, '');
  const bytes = Buffer.from(base64, 'base64');
  // Node's decoder skips what it cannot read; only canonical base64 is taken, so no two readers differ.
  if (bytes.toString('base64') !== base64) throw new StoredKeyError('its armour is not valid base64');
  if (match[2] !== undefined && crc24(bytes) !== Buffer.from(match[2], 'base64').readUIntBE(0, 3)) throw new StoredKeyError('its armour checksum is wrong');
  return bytes;
}

type Packet = { tag: number; body: Buffer };

function packetsOf(bytes: Buffer): Packet[] {
  const packets: Packet[] = [];
  let at = 0;
  while (at < bytes.length) {
    const { tag, start, length } = header(bytes, at);
    if (start + length > bytes.length) throw new StoredKeyError('a packet runs past the end of the key');
    packets.push({ tag, body: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return packets;
}

/** One packet header (RFC 4880 §4.2); partial and indeterminate lengths never occur in a key. */
function header(b: Buffer, at: number): { tag: number; start: number; length: number } {
  const need = (n: number) => {
    if (at + n > b.length) throw new StoredKeyError('a packet header is cut short');
  };
  need(2);
  const first = b[at]!;
  if (!(first & 0x80)) throw new StoredKeyError('it is not OpenPGP packet data');
  if (first & 0x40) {
    const o = b[at + 1]!;
    if (o < 192) return { tag: first & 0x3f, start: at + 2, length: o };
    if (o < 224) return need(3), { tag: first & 0x3f, start: at + 3, length: ((o - 192) << 8) + b[at + 2]! + 192 };
    if (o === 255) return need(6), { tag: first & 0x3f, start: at + 6, length: b.readUInt32BE(at + 2) };
    throw new StoredKeyError('a packet has a partial length');
  }
  const size = [1, 2, 4][first & 3];
  if (size === undefined) throw new StoredKeyError('a packet has an indeterminate length');
  need(1 + size);
  return { tag: (first >> 2) & 0x0f, start: at + 1 + size, length: b.readUIntBE(at + 1, size) };
}

function v4Fingerprint(body: Buffer): string {
  if (body[0] !== 4) throw new StoredKeyError(`it holds a v${body[0] ?? '?'} key; journalists' and sources' keys are v4`);
  if (body.length > 0xffff) throw new StoredKeyError('a key packet is too long');
  const prefix = Buffer.from([0x99, body.length >> 8, body.length & 0xff]);
  return createHash('sha1').update(prefix).update(body).digest('hex').toUpperCase();
}

function crc24(bytes: Uint8Array): number {
  let crc = 0xb704ce;
  for (const byte of bytes) {
    crc ^= byte << 16;
    for (let i = 0; i < 8; i++) {
      crc <<= 1;
      if (crc & 0x1000000) crc ^= 0x1864cfb;
    }
  }
  return crc & 0xffffff;
}
