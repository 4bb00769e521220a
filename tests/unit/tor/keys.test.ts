import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { addressOfPublicKeyFile, authorizedClientLine, base32, clientAuthLine, isClientAuthKey, newClientAuth, newOnionIdentity, onionAddress } from '../../../server/tor/keys.ts';

const BASE32_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
const decode = (text: string): Buffer => {
  let bits = '';
  for (const c of text) bits += BASE32_ALPHABET.indexOf(c).toString(2).padStart(5, '0');
  return Buffer.from(bits.match(/.{8}/g)!.map((b) => parseInt(b, 2)));
};

describe('onion keys', () => {
  test('base32 follows RFC 4648 (its test vectors, lower case, no padding)', () => {
    const vectors: [string, string][] = [['', ''], ['f', 'my'], ['fo', 'mzxq'], ['foo', 'mzxw6'], ['foob', 'mzxw6yq'], ['fooba', 'mzxw6ytb'], ['foobar', 'mzxw6ytboi']];
    for (const [plain, encoded] of vectors) expect(base32(Buffer.from(plain))).toBe(encoded);
  });

  test('an onion address is the public key, its SHA3 checksum and version 3 (rend-spec-v3)', () => {
    const identity = newOnionIdentity();
    expect(identity.address).toMatch(/^[a-z2-7]{56}\.onion$/);
    const bytes = decode(identity.address.slice(0, 56));
    const [pub, checksum, version] = [bytes.subarray(0, 32), bytes.subarray(32, 34), bytes[34]];
    expect(version).toBe(3);
    expect(checksum).toEqual(createHash('sha3-256').update('.onion checksum').update(pub).update(Buffer.from([3])).digest().subarray(0, 2));
    expect(addressOfPublicKeyFile(identity.files.hs_ed25519_public_key)).toBe(identity.address);
    expect(identity.files.hostname.toString()).toBe(`${identity.address}\n`);
  });

  test("tor's key files: 32-byte headers, the expanded secret's first half clamped", () => {
    const { files } = newOnionIdentity();
    expect(files.hs_ed25519_secret_key.subarray(0, 32).toString('latin1')).toBe('== ed25519v1-secret: type0 ==\0\0\0');
    expect(files.hs_ed25519_secret_key).toHaveLength(96);
    const scalar = files.hs_ed25519_secret_key.subarray(32, 64);
    expect(scalar[0]! & 7).toBe(0);
    expect(scalar[31]! & 0xc0).toBe(0x40);
    expect(() => addressOfPublicKeyFile(Buffer.alloc(64))).toThrow(/Not an onion service public key/);
    expect(onionAddress(new Uint8Array(32))).not.toBe(onionAddress(new Uint8Array(32).fill(1)));
  });

  test('client authorisation: the journalist holds the private half of the public key tor is given', () => {
    const pair = newClientAuth();
    expect(isClientAuthKey(pair.publicKey)).toBe(true);
    expect(isClientAuthKey(pair.privateKey)).toBe(true);
    // The private half, as X25519, yields the public half tor holds.
    const d = decode(pair.privateKey).subarray(0, 32);
    const x = decode(pair.publicKey).subarray(0, 32);
    const key = createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: d.toString('base64url'), x: x.toString('base64url') }, format: 'jwk' });
    expect(Buffer.from(createPublicKey(key).export({ format: 'jwk' }).x!, 'base64url')).toEqual(x);
    expect(authorizedClientLine(pair.publicKey)).toBe(`descriptor:x25519:${pair.publicKey.toUpperCase()}`);
    const onion = newOnionIdentity().address;
    expect(clientAuthLine(onion, pair.privateKey)).toBe(`${onion.slice(0, 56)}:descriptor:x25519:${pair.privateKey.toUpperCase()}`);
    expect(newClientAuth().privateKey).not.toBe(pair.privateKey);
  });
});
