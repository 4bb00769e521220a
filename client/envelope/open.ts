import * as openpgp from 'openpgp';
import { checkOptions, DecryptionError, PartMismatchError } from './errors.ts';
import { createHasher, sha256Hex, toHex } from './hash.ts';
import { parseManifest, type Manifest } from './manifest.ts';

// No part or manifest ever inflates beyond this, whatever a forged message claims.
const MAX_PLAINTEXT = 256 * 1024 * 1024;
const DECRYPT_CONFIG: openpgp.PartialConfig = {
  maxDecompressedMessageSize: MAX_PLAINTEXT,
  allowUnauthenticatedMessages: false,
  allowUnauthenticatedStream: false,
};

export type DecryptOptions = { data: Uint8Array; keys: openpgp.PrivateKey[] };

/** Decrypts one object; fails on a wrong key, a missing MDC or any tampering. */
export async function decryptObject(options: DecryptOptions): Promise<Uint8Array> {
  checkOptions(options, ['data', 'keys'], 'decryptObject');
  try {
    const message = await openpgp.readMessage({ binaryMessage: options.data });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: options.keys, format: 'binary', config: DECRYPT_CONFIG });
    return data as Uint8Array;
  } catch (error) {
    throw new DecryptionError(`Could not decrypt: ${(error as Error).message}`);
  }
}

export async function openManifest(options: DecryptOptions): Promise<Manifest> {
  return parseManifest(await decryptObject(options));
}

export type OpenSubmissionOptions = {
  manifest: Manifest;
  keys: openpgp.PrivateKey[];
  /** Returns part n (1-based) ciphertext, or null when it is missing. */
  readPart: (n: number) => Promise<Uint8Array | null>;
  /** Receives verified plaintext, in order. Callers must discard it all if this function throws. */
  write: (plaintext: Uint8Array) => Promise<void>;
};

/** Decrypts and verifies every part against the manifest, one part in memory at a time. */
export async function openSubmission(options: OpenSubmissionOptions): Promise<void> {
  checkOptions(options, ['manifest', 'keys', 'readPart', 'write'], 'openSubmission');
  const { manifest } = options;
  const whole = createHasher();
  let size = 0;
  for (let n = 1; n <= manifest.partCount; n++) {
    const ciphertext = await options.readPart(n);
    if (ciphertext === null) throw new PartMismatchError(n, `Part ${n} of ${manifest.partCount} is missing.`);
    let plaintext: Uint8Array;
    try {
      plaintext = await decryptObject({ data: ciphertext, keys: options.keys });
    } catch (error) {
      throw new PartMismatchError(n, `Part ${n} could not be decrypted: ${(error as Error).message}`);
    }
    const expectedLength = n < manifest.partCount ? manifest.partSize : manifest.size - manifest.partSize * (manifest.partCount - 1);
    if (plaintext.length !== expectedLength || (await sha256Hex(plaintext)) !== manifest.parts[n - 1]) {
      throw new PartMismatchError(n, `Part ${n} does not match the manifest (truncated, reordered or altered).`);
    }
    whole.update(plaintext);
    size += plaintext.length;
    await options.write(plaintext);
  }
  if (size !== manifest.size || toHex(whole.digest()) !== manifest.sha256) {
    throw new PartMismatchError(manifest.partCount, 'The whole file does not match the manifest digest.');
  }
}
