import * as openpgp from 'openpgp';
import { checkOptions, DecryptionError, EnvelopeError, PartMismatchError } from './errors.ts';
import { createHasher, sha256Hex, toHex, type Hasher } from './hash.ts';
import { MAX_PARTS, parseManifest, storedSize, type Manifest } from './manifest.ts';
import { manifestLength } from './padding.ts';

// No part or manifest ever inflates beyond this, whatever a forged message claims.
const MAX_PLAINTEXT = 256 * 1024 * 1024;
const DECRYPT_CONFIG: openpgp.PartialConfig = {
  maxDecompressedMessageSize: MAX_PLAINTEXT,
  allowUnauthenticatedMessages: false,
  allowUnauthenticatedStream: false,
};

export type DecryptOptions = { data: Uint8Array; keys: openpgp.PrivateKey[]; maxPlaintext?: number };

/** Decrypts one object; fails on a wrong key, a missing MDC or any tampering. */
export async function decryptObject(options: DecryptOptions): Promise<Uint8Array> {
  checkOptions(options, ['data', 'keys', 'maxPlaintext'], 'decryptObject');
  // Anyone holding the public keys can write an object, compressed too: cap what it may inflate to.
  const config = { ...DECRYPT_CONFIG, maxDecompressedMessageSize: Math.min(MAX_PLAINTEXT, options.maxPlaintext ?? MAX_PLAINTEXT) };
  try {
    const message = await openpgp.readMessage({ binaryMessage: options.data });
    const { data } = await openpgp.decrypt({ message, decryptionKeys: options.keys, format: 'binary', config });
    return data as Uint8Array;
  } catch (error) {
    throw new DecryptionError(`Could not decrypt: ${(error as Error).message}`);
  }
}

/** The largest manifest any submission can have (MAX_PARTS digests), padding included. */
const MAX_MANIFEST = manifestLength(MAX_PARTS);

export async function openManifest(options: DecryptOptions): Promise<Manifest> {
  return parseManifest(await decryptObject({ ...options, maxPlaintext: MAX_MANIFEST }));
}

/**
 * A part whose reader wrote the file's bytes itself (sealdrop decrypt's workers, straight into the
 * output at the part's position): its plaintext's length and SHA-256 (padding included), where it
 * wrote (`at`, the output offset of the part's first byte) and how many bytes (`wrote`), and whether
 * every byte after those was zero. openSubmission checks them all, in order; the caller deletes the
 * output if it throws.
 */
export type WrittenPart = { length: number; sha256: string; at: number; wrote: number; zeroTail: boolean };

export type OpenSubmissionOptions = {
  manifest: Manifest;
  keys: openpgp.PrivateKey[];
  /** Returns part n (1-based) ciphertext, or null when it is missing. */
  readPart: (n: number) => Promise<Uint8Array | null>;
  /**
   * Decrypts part n elsewhere instead (sealdrop decrypt: native AES in worker threads, several
   * parts ahead): its plaintext and SHA-256 in hex, or null when it is missing. Every check here
   * still applies; readPart is then not called.
   */
  openPart?: (n: number) => Promise<{ plaintext: Uint8Array; sha256: string } | WrittenPart | null>;
  /** Receives verified plaintext, in order. Callers must discard it all if this function throws. */
  write: (plaintext: Uint8Array) => Promise<void>;
  /** A native incremental SHA-256 where there is one (node:crypto in the restore command). */
  hasher?: () => Hasher;
  /**
   * false: the manifest's whole-file digest is not recomputed (sealdrop decrypt, where it was a
   * fifth of the main thread's work). Nothing an attacker could do gets past the part checks: the
   * manifest, the only place either digest comes from, lists every part's length and SHA-256, and
   * every part is checked against them in order, so the bytes written are exactly the bytes those
   * digests name (a second preimage of SHA-256 aside). Whoever could write a different whole-file
   * digest wrote the manifest, and could have written part digests to match. What it would still
   * catch is a sender whose own digests disagree (a bug in a writer); the page, the restore
   * command and the tests keep the check. docs/envelope.md, "Decryption and verification".
   */
  checkFileDigest?: boolean;
};

/**
 * Decrypts and verifies every part against the manifest, one part in memory at a time, and hands
 * over the file's own bytes; the padding after them must be zeros and is never written.
 */
export async function openSubmission(options: OpenSubmissionOptions): Promise<void> {
  checkOptions(options, ['manifest', 'keys', 'readPart', 'openPart', 'write', 'hasher', 'checkFileDigest'], 'openSubmission');
  const { manifest } = options;
  const stored = storedSize(manifest);
  // Without a whole-file digest (or its check) the part digests, checked in order, are the proof.
  const whole = manifest.sha256 === undefined || options.checkFileDigest === false ? null : (options.hasher ?? createHasher)();
  let written = 0;
  for (let n = 1; n <= manifest.partCount; n++) {
    const plaintext = await openPart(options, n, stored);
    if (!(plaintext instanceof Uint8Array)) {
      if (whole) throw new EnvelopeError('A part written elsewhere cannot be checked against the whole-file digest.');
      written += checkWritten(plaintext, n, manifest.size - written, written);
      continue;
    }
    const own = plaintext.subarray(0, Math.max(0, Math.min(plaintext.length, manifest.size - written)));
    if (plaintext.subarray(own.length).some((b) => b !== 0)) {
      throw new PartMismatchError(n, `Part ${n} holds data after the end of the file.`);
    }
    whole?.update(own);
    written += own.length;
    if (own.length > 0) await options.write(own);
  }
  if (written !== manifest.size || (whole && toHex(whole.digest()) !== manifest.sha256)) {
    throw new PartMismatchError(manifest.partCount, 'The whole file does not match the manifest digest.');
  }
}

/**
 * A part written elsewhere, its length and digest checked already: it wrote exactly the file's
 * bytes it holds (`left` bytes of the file remain before it), where the file's last byte so far
 * ended, and only zeros follow them. Returns how many bytes of the file it wrote.
 */
function checkWritten(part: WrittenPart, n: number, left: number, written: number): number {
  const own = Math.max(0, Math.min(part.length, left));
  if (!part.zeroTail) throw new PartMismatchError(n, `Part ${n} holds data after the end of the file.`);
  if (part.wrote !== own || (own > 0 && part.at !== written)) throw new PartMismatchError(n, `Part ${n} was not written where the manifest puts it.`);
  return own;
}

/** One part, decrypted and checked against its length and digest in the manifest. */
async function openPart(options: OpenSubmissionOptions, n: number, stored: number): Promise<Uint8Array | WrittenPart> {
  const { manifest } = options;
  const expectedLength = n < manifest.partCount ? manifest.partSize : stored - manifest.partSize * (manifest.partCount - 1);
  let opened: { plaintext: Uint8Array; sha256?: string } | WrittenPart | null;
  try {
    opened = options.openPart ? await options.openPart(n) : await decryptHere(options, n, expectedLength);
  } catch (error) {
    // Reading errors (a key that is not there, the disk) pass as they are.
    if (!(error instanceof EnvelopeError)) throw error;
    throw new PartMismatchError(n, `Part ${n} could not be decrypted: ${error.message}`);
  }
  if (opened === null) throw new PartMismatchError(n, `Part ${n} of ${manifest.partCount} is missing.`);
  const length = 'plaintext' in opened ? opened.plaintext.length : opened.length;
  const sha256 = opened.sha256 ?? (await sha256Hex((opened as { plaintext: Uint8Array }).plaintext));
  if (length !== expectedLength || sha256 !== manifest.parts[n - 1]) {
    throw new PartMismatchError(n, `Part ${n} does not match the manifest (truncated, reordered or altered).`);
  }
  return 'plaintext' in opened ? opened.plaintext : opened;
}

/** Part n read and decrypted with openpgp.js, or null when it is missing. */
async function decryptHere(options: OpenSubmissionOptions, n: number, expectedLength: number): Promise<{ plaintext: Uint8Array } | null> {
  const ciphertext = await options.readPart(n);
  // A forged part cannot inflate past the length the manifest gives it.
  return ciphertext && { plaintext: await decryptObject({ data: ciphertext, keys: options.keys, maxPlaintext: Math.max(1, expectedLength) }) };
}
