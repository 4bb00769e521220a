import { ed25519 } from '@noble/curves/ed25519.js';
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { OnionKeyError } from './errors.ts';

// Onion-service and client-authorisation keys, made here rather than by tor, so that Sealdrop knows
// both addresses before tor first runs (to print them, and to write the torrc for a system tor).

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** RFC 4648 base32 without padding, lower case (tor accepts either case). */
export function base32(bytes: Uint8Array): string {
  let out = '';
  let bits = 0;
  let value = 0;
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32[(value << (5 - bits)) & 31];
  return out;
}

const raw = (key: KeyObject, part: 'x' | 'd'): Buffer => Buffer.from(key.export({ format: 'jwk' })[part]!, 'base64url');

/** The v3 onion address of an ed25519 public key (rend-spec-v3, "Encoding onion addresses"). */
export function onionAddress(publicKey: Uint8Array): string {
  const version = Buffer.from([3]);
  const checksum = createHash('sha3-256').update('.onion checksum').update(publicKey).update(version).digest().subarray(0, 2);
  return `${base32(Buffer.concat([publicKey, checksum, version]))}.onion`;
}

const header = (text: string) => Buffer.concat([Buffer.from(text), Buffer.alloc(32 - text.length)]);
// tor's tagged key files: exactly this 32-byte header (NUL-padded), then the key, nothing more.
const SECRET_HEADER = header('== ed25519v1-secret: type0 ==');
const PUBLIC_HEADER = header('== ed25519v1-public: type0 ==');

export type OnionIdentity = { address: string; files: Record<'hs_ed25519_secret_key' | 'hs_ed25519_public_key' | 'hostname', Buffer> };

/**
 * A new onion service identity in tor's own file format: the secret key file holds the expanded
 * ed25519 key (SHA-512 of the seed, clamped), as tor's ed25519 code keeps it.
 */
export function newOnionIdentity(): OnionIdentity {
  const expanded = createHash('sha512').update(raw(generateKeyPairSync('ed25519').privateKey, 'd')).digest();
  expanded[0]! &= 248;
  expanded[31]! &= 63;
  expanded[31]! |= 64;
  return identityOf(Buffer.concat([SECRET_HEADER, expanded]));
}

/** The files tor writes beside a secret key, derived from it (tor rewrites `hostname` the same way). */
export function identityOf(secretKeyFile: Buffer): OnionIdentity {
  const publicKey = publicKeyOfSecretKeyFile(secretKeyFile);
  const address = onionAddress(publicKey);
  const files = { hs_ed25519_secret_key: secretKeyFile, hs_ed25519_public_key: Buffer.concat([PUBLIC_HEADER, publicKey]), hostname: Buffer.from(`${address}\n`) };
  return { address, files };
}

/**
 * The public key tor publishes a service under: derived, as tor does, from the secret key file,
 * never read from `hs_ed25519_public_key`. Tor (ed25519-donna) takes the expanded key's first 32
 * bytes as a little-endian scalar a, reduced mod L, and no clamping: vanity-address tools make
 * unclamped keys tor accepts. A = (a mod L)·B, by @noble/curves (constant-time; a is secret).
 */
export function publicKeyOfSecretKeyFile(file: Uint8Array): Uint8Array {
  if (file.length !== 96 || !SECRET_HEADER.equals(file.subarray(0, 32))) {
    throw new OnionKeyError('secret_key_malformed', 'Not an onion service secret key file (tor writes 96 bytes: the "== ed25519v1-secret: type0 ==" header, then the expanded key).');
  }
  const a = ed25519.Point.Fn.create(BigInt(`0x${Buffer.from(file.subarray(32, 64)).reverse().toString('hex')}`));
  if (a === 0n) throw new OnionKeyError('secret_key_malformed', 'The onion service secret key is zero: no service can be published under it.');
  return ed25519.Point.BASE.multiply(a).toBytes();
}

/** The address named by a public key file (tor refuses to start when it is not the secret key's). */
export function addressOfPublicKeyFile(file: Buffer): string {
  if (file.length !== 64 || !PUBLIC_HEADER.equals(file.subarray(0, 32))) {
    throw new OnionKeyError('public_key_malformed', 'Not an onion service public key file (tor writes 64 bytes: the "== ed25519v1-public: type0 ==" header, then the key).');
  }
  return onionAddress(file.subarray(32));
}

/** A journalist device's client-authorisation pair: tor keeps the public half, the journalist the private. */
export type ClientAuth = { publicKey: string; privateKey: string };

export function newClientAuth(): ClientAuth {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  return { publicKey: base32(raw(publicKey, 'x')), privateKey: base32(raw(privateKey, 'd')) };
}

const AUTH_KEY = /^[a-z2-7]{52}$/;

export function isClientAuthKey(value: unknown): value is string {
  return typeof value === 'string' && AUTH_KEY.test(value);
}

/** The line of an `authorized_clients/*.auth` file. */
export const authorizedClientLine = (publicKey: string): string => `descriptor:x25519:${publicKey.toUpperCase()}`;

/** What the journalist gives Tor Browser (or puts in a `.auth_private` file): address, then key. */
export const clientAuthLine = (address: string, privateKey: string): string =>
  `${address.replace(/\.onion$/, '')}:descriptor:x25519:${privateKey.toUpperCase()}`;
