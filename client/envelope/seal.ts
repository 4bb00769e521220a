import * as openpgp from 'openpgp';
import { checkOptions, EnvelopeError } from './errors.ts';
import { createHasher, sha256Hex, toHex, type Hasher } from './hash.ts';
import { MANIFEST_FORMAT, MANIFEST_VERSION, MAX_PARTS, normaliseMediaType, normaliseName, parseManifest, serializeManifest } from './manifest.ts';

export const DEFAULT_PART_SIZE = 4 * 1024 * 1024;

// The literal packet's date would record when the source sent the file; the epoch says nothing.
const LITERAL_DATE = new Date(0);
const ENCRYPT_CONFIG: openpgp.PartialConfig = {
  preferredSymmetricAlgorithm: openpgp.enums.symmetric.aes256,
  preferredCompressionAlgorithm: openpgp.enums.compression.uncompressed,
  aeadProtect: false,
};

export type EncryptOptions = { data: Uint8Array; recipients: openpgp.PublicKey[] };

/** Encrypts one object (a part or a manifest) as a self-contained message GnuPG 2.2 decrypts. */
export async function encryptObject(options: EncryptOptions): Promise<Uint8Array> {
  checkOptions(options, ['data', 'recipients'], 'encryptObject');
  if (options.recipients.length === 0) throw new EnvelopeError('No journalist keys: nobody could read this.');
  const message = await openpgp.createMessage({ binary: options.data, format: 'binary', date: LITERAL_DATE });
  return openpgp.encrypt({ message, encryptionKeys: options.recipients, format: 'binary', config: ENCRYPT_CONFIG });
}

export type SealerOptions = {
  submission: string;
  name: string;
  type: string;
  recipients: openpgp.PublicKey[];
  partSize?: number;
  /**
   * Computes the whole file's SHA-256 in one go (e.g. WebCrypto over a file small enough to read
   * twice) instead of the incremental pure-JS hasher, which is slow without a JIT.
   */
  wholeFileDigest?: () => Promise<string>;
};

/**
 * Encrypts a file part by part, as the caller hands over plaintext parts in order, and keeps
 * the digests the manifest needs. Only one part is ever held, whatever the file size.
 */
export class SubmissionSealer {
  readonly partSize: number;
  private readonly whole: Hasher | null;
  private readonly parts: string[] = [];
  private size = 0;
  private lastWasShort = false;

  constructor(private readonly options: SealerOptions) {
    checkOptions(options, ['submission', 'name', 'type', 'recipients', 'partSize', 'wholeFileDigest'], 'SubmissionSealer');
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.whole = options.wholeFileDigest ? null : createHasher();
    if (!Number.isSafeInteger(this.partSize) || this.partSize < 1) throw new EnvelopeError('Bad part size.');
  }

  get partCount(): number {
    return this.parts.length;
  }

  /** Encrypts the next plaintext part; every part but the last must be exactly partSize bytes. */
  async sealPart(plaintext: Uint8Array): Promise<Uint8Array> {
    if (this.lastWasShort) throw new EnvelopeError('Only the last part may be shorter than the part size.');
    if (plaintext.length > this.partSize) throw new EnvelopeError('Part larger than the part size.');
    if (this.parts.length >= MAX_PARTS) throw new EnvelopeError('Too many parts.');
    this.lastWasShort = plaintext.length < this.partSize;
    this.parts.push(await sha256Hex(plaintext));
    this.whole?.update(plaintext);
    this.size += plaintext.length;
    return encryptObject({ data: plaintext, recipients: this.options.recipients });
  }

  /** Encrypts the manifest; call after the last part. */
  async sealManifest(): Promise<Uint8Array> {
    if (this.parts.length === 0) throw new EnvelopeError('A submission has at least one part (an empty file is one empty part).');
    const manifest = serializeManifest({
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      submission: this.options.submission,
      name: normaliseName(this.options.name),
      type: normaliseMediaType(this.options.type),
      size: this.size,
      partSize: this.partSize,
      partCount: this.parts.length,
      parts: [...this.parts],
      sha256: this.whole ? toHex(this.whole.digest()) : await this.options.wholeFileDigest!(),
    });
    // The reader's own check: a sealer must never send something every journalist would refuse.
    parseManifest(manifest);
    return encryptObject({ data: manifest, recipients: this.options.recipients });
  }
}

/** How many parts a plaintext of this size is cut into (an empty file is one empty part). */
export function partCountFor(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(size / partSize));
}
