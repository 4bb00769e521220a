import * as openpgp from 'openpgp';
import { NotEncryptedError, WrongRecipientsError } from './errors.ts';

// Parsing must be exact: an unknown or malformed packet is a refusal, never something skipped.
const STRICT_PARSE: openpgp.PartialConfig = {
  ignoreUnsupportedPackets: false,
  ignoreMalformedPackets: false,
  enforceGrammar: true,
};

export type ObjectHeaders = { recipientKeyIds: string[] };

/**
 * Reads the packet headers of an uploaded object without decrypting it: v3 PKESKs followed by
 * exactly one SEIPDv1 packet, nothing else. The server never holds a key that could decrypt.
 */
export async function readObjectHeaders(data: Uint8Array): Promise<ObjectHeaders> {
  let message: openpgp.Message<Uint8Array>;
  try {
    message = await openpgp.readMessage({ binaryMessage: data, config: STRICT_PARSE });
  } catch {
    throw new NotEncryptedError('This is not an encrypted OpenPGP message. Nothing was stored.');
  }
  const packets = Array.from(message.packets);
  const data_ = packets.pop();
  if (!(data_ instanceof openpgp.SymEncryptedIntegrityProtectedDataPacket) || (data_ as unknown as { version: number }).version !== 1) {
    throw new NotEncryptedError('The message must end with one integrity-protected (SEIPDv1) data packet.');
  }
  const recipientKeyIds = packets.map((p) => {
    if (!(p instanceof openpgp.PublicKeyEncryptedSessionKeyPacket) || (p as unknown as { version: number }).version !== 3) {
      throw new NotEncryptedError('The message may only hold v3 public-key session key packets before its data.');
    }
    return (p as unknown as { publicKeyID: openpgp.KeyID }).publicKeyID.toHex();
  });
  if (recipientKeyIds.length === 0) throw new NotEncryptedError('The message is not encrypted to any public key.');
  return { recipientKeyIds };
}

/** Refuses an object unless it is addressed to exactly the expected journalist keys, each once. */
export async function assertAddressedTo(data: Uint8Array, expectedKeyIds: readonly string[]): Promise<void> {
  const { recipientKeyIds } = await readObjectHeaders(data);
  const expected = new Set(expectedKeyIds.map((k) => k.toLowerCase()));
  const got = new Set(recipientKeyIds);
  const exact = got.size === recipientKeyIds.length && got.size === expected.size && [...got].every((k) => expected.has(k));
  if (!exact) {
    throw new WrongRecipientsError(
      'This was not encrypted to exactly the current journalist keys (they may have changed). Reload the page and send again.',
    );
  }
}
