import * as openpgp from 'openpgp';
import { DecryptionError, EnvelopeError, WrongRecipientsError } from './errors.ts';
import { readHeaderPrefix, readSessionKeyPackets, type PacketSpan } from './headers.ts';
import { readJournalistKey } from './keys.ts';
import { SESSION_KEY_BYTES, wrapSessionKey as wrapForKeys } from './session-key.ts';

// Re-wrapping (sharing an item, moving a conversation, moving one's items to a new key): the
// journalist's page unwraps an object's session key with its own private key and wraps it again
// for the keys added, as new v3 PKESKs. The server then writes a new object: the PKESKs that stay,
// byte for byte, the added ones, and the very same SEIPD bytes. Neither key leaves the page; the
// server reads only packet framing (headers.ts), bounded by the bytes it holds.

/** One PKESK packet of an object: the key ID it names and its exact bytes, header included. */
export type SessionKeyPacket = { keyId: string; bytes: Uint8Array };
/** An object's PKESKs, and where its SEIPD packet starts (everything from there is the bulk). */
export type HeaderSplit = { pkesks: SessionKeyPacket[]; sealedAt: number };

const packetsOf = (data: Uint8Array, spans: PacketSpan[]): SessionKeyPacket[] =>
  spans.map((s) => ({ keyId: s.keyId, bytes: data.subarray(s.at, s.end) }));

/**
 * The PKESKs of a stored object from its first bytes (the whole object, or any prefix reaching
 * its SEIPD packet's header): safe on the server, it only reads framing.
 */
export function splitHeader(prefix: Uint8Array): HeaderSplit {
  const { pkesks, sealed } = readHeaderPrefix(prefix);
  return { pkesks: packetsOf(prefix, pkesks), sealedAt: sealed.at };
}

/** PKESK packets and nothing else (what the page uploads): refused unless every one is a well-formed v3 PKESK. */
export function readAddedPackets(data: Uint8Array): SessionKeyPacket[] {
  return packetsOf(data, readSessionKeyPackets(data));
}

/** Concatenates byte arrays (a new object's header, then its bulk). */
export function joinBytes(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/**
 * The session key of an object, from its PKESK bytes (as GET /conversations/:id/headers gives
 * them), with whichever of `privateKeys` it is sealed to. Only AES-256 is accepted: it is what
 * Sealdrop writes, and what wrapSessionKey wraps.
 */
export async function unwrapSessionKey(header: Uint8Array, privateKeys: openpgp.PrivateKey[]): Promise<Uint8Array> {
  const pkesks = readAddedPackets(header);
  if (pkesks.length === 0) throw new DecryptionError('This object has no session key packets.');
  let keys: { data: Uint8Array; algorithm: string | null }[];
  try {
    const message = await openpgp.readMessage({ binaryMessage: header });
    keys = await openpgp.decryptSessionKeys({ message, decryptionKeys: privateKeys });
  } catch (error) {
    throw new DecryptionError(`None of the loaded keys opens this item: ${(error as Error).message}`);
  }
  const key = keys.find((k) => k.algorithm === 'aes256' && k.data.length === SESSION_KEY_BYTES);
  if (!key) throw new DecryptionError('This item is not sealed with AES-256; it cannot be re-wrapped.');
  return key.data;
}

/**
 * One v3 PKESK per key (journalist keys, armoured, checked as on upload), for `sessionKey`: what a
 * re-wrap uploads. The output is read back: a packet of any other version, or naming another key,
 * is an error here rather than an object GnuPG 2.2 cannot open.
 */
export async function wrapSessionKey(sessionKey: Uint8Array, armoredPublicKeys: readonly string[]): Promise<Uint8Array> {
  if (armoredPublicKeys.length === 0) throw new EnvelopeError('No keys to add.');
  const keys = await Promise.all(armoredPublicKeys.map((armored) => readJournalistKey(armored)));
  const wrapped = await wrapForKeys(sessionKey, keys.map((k) => k.key));
  const named = readAddedPackets(wrapped).map((p) => p.keyId);
  const expected = keys.map((k) => k.recipientKeyId);
  if (named.length !== expected.length || named.some((id, i) => id !== expected[i])) {
    throw new WrongRecipientsError('The new session key packets do not name the keys they were made for.');
  }
  return wrapped;
}

/**
 * A re-wrapped object: its PKESKs for `keep` (byte-identical, in their order), then `added`, then
 * its bulk from the SEIPD packet on (unchanged). `old` is the whole stored object.
 */
export function rewrapObject(old: Uint8Array, keep: ReadonlySet<string>, added: Uint8Array): Uint8Array {
  const { pkesks, sealedAt } = splitHeader(old);
  const kept = pkesks.filter((p) => keep.has(p.keyId)).map((p) => p.bytes);
  return joinBytes([...kept, added, old.subarray(sealedAt)]);
}
