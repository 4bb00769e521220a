import { createCipheriv, createHash, createPublicKey, diffieHellman, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { ecdhRecipient, KDF_COUNTER, KEY_WRAP_IV, SPKI_X25519, type EcdhRecipient } from '../../common/envelope/ecdh-params.ts';
import type { PublicKey } from '../../common/envelope/index.ts';
import { SESSION_KEY_BYTES, wrapSessionKey } from '../../common/envelope/session-key.ts';

// Each no-JavaScript part's session key wrapped for the journalists in native code (RFC 6637:
// X25519, the KDF's SHA-256, AES key wrap). openpgp.js took 2.9 ms a part (median; 8.6 at the
// 90th percentile) in the sealing worker, which sets that path's pace: it checks every signature
// of the key at each call, and its X25519 goes through WebCrypto, queued in libuv's pool behind
// the parts' fsyncs. Here the subkey is chosen by openpgp.js itself (ecdhRecipient), again after
// a minute or once the key expires, and the packets are those openpgp.js writes, with their own ephemeral
// key. Anything but a v4 cv25519 subkey (RSA, say) is wrapped by openpgp.js, as before.

/**
 * How long a key's chosen subkey is used before openpgp.js is asked again; it is asked at once when
 * the key or that subkey expires. A revoked or replaced key is new key text, read into a new key
 * object (server/sources/key-worker.ts), so it is chosen afresh at its first part.
 */
export const RECIPIENT_TTL_MS = 60_000;
const ECDH = 18;
const AES256 = 9;
const PKESK_TAG = 1;

type Chosen = { at: number; expires: number; recipient: Promise<EcdhRecipient | null>; key: KeyObject | null };
const chosen = new WeakMap<PublicKey, Chosen>();

async function recipientOf(key: PublicKey, now: number): Promise<{ r: EcdhRecipient; publicKey: KeyObject } | null> {
  let entry = chosen.get(key);
  // Asked again after a minute, once the key or its subkey has expired, and if the clock went back.
  if (!entry || now - entry.at >= RECIPIENT_TTL_MS || now < entry.at || now >= entry.expires) {
    const mine: Chosen = (entry = { at: now, expires: Infinity, recipient: ecdhRecipient(key, new Date(now)), key: null });
    chosen.set(key, entry);
    entry.recipient.then(
      (r) => void (mine.expires = r?.expires ?? Infinity),
      () => void (chosen.get(key) === mine && chosen.delete(key)), // asked again next time; this call throws below
    );
  }
  const r = await entry.recipient;
  if (!r) return null;
  entry.key ??= createPublicKey({ key: Buffer.concat([SPKI_X25519, r.point]), format: 'der', type: 'spki' });
  return { r, publicKey: entry.key };
}

/** The session-key block an ECDH PKESK wraps: AES-256's number, the key, its two-octet checksum, PKCS #5 padding to 8 octets. */
function keyBlock(sessionKey: Uint8Array): Buffer {
  const sum = sessionKey.reduce((s, b) => (s + b) & 0xffff, 0);
  const data = Buffer.concat([Uint8Array.of(AES256), sessionKey, Uint8Array.of(sum >> 8, sum & 0xff)]);
  const pad = 8 - (data.length % 8);
  const block = Buffer.concat([data, Buffer.alloc(pad, pad)]);
  data.fill(0);
  return block;
}

/** One v3 PKESK (new-format packet) wrapping `block` for `r`, under a fresh ephemeral X25519 key. */
function pkesk(block: Buffer, { r, publicKey }: { r: EcdhRecipient; publicKey: KeyObject }): Buffer {
  const ephemeral = generateKeyPairSync('x25519');
  const shared = diffieHellman({ privateKey: ephemeral.privateKey, publicKey });
  const kek = createHash(r.hash).update(KDF_COUNTER).update(shared).update(r.param).digest();
  const wrap = createCipheriv(`id-aes${r.keyBytes * 8}-wrap`, kek.subarray(0, r.keyBytes), KEY_WRAP_IV);
  const wrapped = Buffer.concat([wrap.update(block), wrap.final()]);
  shared.fill(0);
  kek.fill(0);
  const point = ephemeral.publicKey.export({ format: 'der', type: 'spki' }).subarray(SPKI_X25519.length);
  // The ephemeral point as an MPI: 263 bits, 0x40 then the 32-byte u-coordinate.
  const body = Buffer.concat([Uint8Array.of(3), r.keyId, Uint8Array.of(ECDH, 0x01, 0x07, 0x40), point, Uint8Array.of(wrapped.length), wrapped]);
  return Buffer.concat([Uint8Array.of(0xc0 | PKESK_TAG, body.length), body]);
}

/**
 * One v3 PKESK per recipient, in their order, wrapping `sessionKey` for AES-256, as wrapSessionKey
 * writes them: natively for each recipient whose encryption subkey is cv25519, by openpgp.js for
 * any other (an RSA key among them leaves the rest native).
 */
export async function wrapSessionKeyNatively(sessionKey: Uint8Array, recipients: PublicKey[], now = Date.now(), byOpenpgp = wrapSessionKey): Promise<Uint8Array> {
  if (sessionKey.length !== SESSION_KEY_BYTES || recipients.length === 0) return byOpenpgp(sessionKey, recipients); // its errors
  const found = await Promise.all(recipients.map((key) => recipientOf(key, now)));
  const block = keyBlock(sessionKey);
  try {
    return Buffer.concat(await Promise.all(found.map((f, i) => (f ? pkesk(block, f) : byOpenpgp(sessionKey, [recipients[i]!])))));
  } finally {
    block.fill(0);
  }
}
