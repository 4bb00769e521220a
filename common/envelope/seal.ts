import * as openpgp from 'openpgp';
import { checkOptions, EnvelopeError } from './errors.ts';
import { createHasher, sha256Hex, toHex, type Hasher } from './hash.ts';
import { MANIFEST_FORMAT, MANIFEST_VERSION, MAX_PARTS, normaliseMediaType, normaliseName, parseManifest, serializeManifest } from './manifest.ts';
import { paddedSize } from './padding.ts';

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

export type SealerOptions<Extra = never> = {
  submission: string;
  name: string;
  type: string;
  recipients: openpgp.PublicKey[];
  partSize?: number;
  /**
   * Computes the whole file's SHA-256 in one go (e.g. WebCrypto over a file small enough to read
   * twice) instead of the incremental pure-JS hasher, which is slow without a JIT; null leaves the
   * digest out of the manifest (a browser sending a large file: the part digests cover it).
   */
  wholeFileDigest?: (() => Promise<string>) | null;
  /** A native incremental SHA-256 where there is one (node:crypto on the server and in the CLI). */
  hasher?: () => Hasher;
  /** Encrypts one part elsewhere (a worker thread), so that parts may be sealed side by side. */
  encrypt?: PartEncrypter<Extra>;
  /**
   * A part's SHA-256 (hex) where the part is read anyway: the server's no-JavaScript path hashes it
   * in the worker that seals it, in the same pass (its parts lie in shared memory, which WebCrypto
   * refuses). WebCrypto's where absent.
   */
  digest?: (plaintext: Uint8Array) => Promise<string>;
};

/**
 * Encrypts one part. `parallel`: how many parts sealFile keeps being sealed at once with it (the
 * page's pool of Web Workers: client/source/seal-pool.ts); 1 where absent. It may be handed the
 * plaintext's buffer for its own (transferred to a worker): the sealer reads the plaintext before.
 */
export type PartEncrypter<Extra = never> = ((plaintext: Uint8Array) => Promise<Uint8Array | Extra>) & { readonly parallel?: number };
const MAX_PARALLEL = 16;

/**
 * Encrypts a file part by part, as the caller hands over plaintext in order, and keeps the digests
 * the manifest needs. Full parts go through `sealPart`; the file's last bytes, with the zero padding
 * up to its size class, through `sealEnd`. Only one part is ever held, whatever the file size.
 */
export class SubmissionSealer<Extra = never> {
  readonly partSize: number;
  /** How many parts sealFile seals at once: more than one only with an `encrypt` that says so. */
  readonly parallel: number;
  private readonly whole: Hasher | null;
  private readonly parts: string[] = [];
  private size = 0;
  private ended = false;

  constructor(private readonly options: SealerOptions<Extra>) {
    checkOptions(options, ['submission', 'name', 'type', 'recipients', 'partSize', 'wholeFileDigest', 'hasher', 'encrypt', 'digest'], 'SubmissionSealer');
    this.partSize = options.partSize ?? DEFAULT_PART_SIZE;
    this.whole = options.wholeFileDigest === undefined ? (options.hasher ?? createHasher)() : null;
    if (!Number.isSafeInteger(this.partSize) || this.partSize < 1) throw new EnvelopeError('Bad part size.');
    this.parallel = options.encrypt?.parallel ?? 1;
    if (!Number.isSafeInteger(this.parallel) || this.parallel < 1 || this.parallel > MAX_PARALLEL) throw new EnvelopeError('Bad number of parts sealed at once.');
  }

  get partCount(): number {
    return this.parts.length;
  }

  /** Encrypts the next full part: exactly partSize bytes of the file. */
  async sealPart(plaintext: Uint8Array): Promise<Uint8Array | Extra> {
    if (this.ended) throw new EnvelopeError('The file has already ended.');
    if (plaintext.length !== this.partSize) throw new EnvelopeError('Only full parts go through sealPart; the last bytes go through sealEnd.');
    this.whole?.update(plaintext);
    this.size += plaintext.length;
    return this.encryptPart(plaintext);
  }

  /**
   * Ends the file with its last bytes (fewer than partSize, possibly none) and yields, a part at a
   * time, the ciphertext of those bytes followed by zeros up to paddedSize(size).
   */
  async *sealEnd(tail: Uint8Array): AsyncGenerator<Uint8Array | Extra> {
    for (const part of this.sealEndEach(tail)) yield await part;
  }

  /**
   * sealEnd's parts as they start (each when asked for, so only those asked for are held), for
   * sealFile to run side by side. The file ends at the call, not at the first part asked for: the
   * manifest may then be sealed as soon as the last part is out, even when no part follows.
   */
  sealEndEach(tail: Uint8Array): Generator<Promise<Uint8Array | Extra>> {
    if (this.ended) throw new EnvelopeError('The file has already ended.');
    if (tail.length >= this.partSize) throw new EnvelopeError('The last bytes must be fewer than the part size.');
    this.ended = true;
    this.whole?.update(tail);
    this.size += tail.length;
    return this.tailParts(tail);
  }

  private *tailParts(tail: Uint8Array): Generator<Promise<Uint8Array | Extra>> {
    const end = paddedSize(this.size);
    let tailLeft: Uint8Array | null = tail;
    for (let at = this.parts.length * this.partSize; at < end; at += this.partSize) {
      const part = new Uint8Array(Math.min(this.partSize, end - at));
      if (tailLeft) part.set(tailLeft);
      tailLeft = null;
      yield this.encryptPart(part);
    }
  }

  private async encryptPart(plaintext: Uint8Array): Promise<Uint8Array | Extra> {
    if (this.parts.length >= MAX_PARTS) throw new EnvelopeError('Too many parts.');
    // The part's place is taken now: with `encrypt`, the next part may be sealed before this one ends.
    const index = this.parts.push('') - 1;
    const encrypt = this.options.encrypt ?? ((data: Uint8Array) => encryptObject({ data, recipients: this.options.recipients }));
    // The digest first: WebCrypto copies its input at the call, before `encrypt` may give the buffer to a worker.
    const [digest, ciphertext] = await Promise.all([(this.options.digest ?? sha256Hex)(plaintext), encrypt(plaintext)]);
    this.parts[index] = digest;
    return ciphertext;
  }

  private async wholeDigest(): Promise<{ sha256?: string }> {
    if (this.whole) return { sha256: toHex(this.whole.digest()) };
    return this.options.wholeFileDigest ? { sha256: await this.options.wholeFileDigest() } : {};
  }

  /**
   * Encrypts the manifest; call after sealEnd has yielded every part. `alsoTo`: a source's own key,
   * so that the source can read back the names of what they sent (parts stay the newsroom's only).
   */
  async sealManifest(alsoTo: readonly openpgp.PublicKey[] = []): Promise<Uint8Array> {
    if (!this.ended || this.parts.length !== partCountFor(this.size, this.partSize)) {
      throw new EnvelopeError('The manifest comes after the last part (sealEnd, read to its end).');
    }
    const manifest = serializeManifest({
      format: MANIFEST_FORMAT,
      version: MANIFEST_VERSION,
      submission: this.options.submission,
      name: normaliseName(this.options.name),
      type: normaliseMediaType(this.options.type),
      size: this.size,
      paddedSize: paddedSize(this.size),
      partSize: this.partSize,
      partCount: this.parts.length,
      parts: [...this.parts],
      ...(await this.wholeDigest()),
    });
    // The reader's own check: a sealer must never send something every journalist would refuse.
    parseManifest(manifest);
    return encryptObject({ data: manifest, recipients: [...this.options.recipients, ...alsoTo] });
  }
}

/** How many parts a file of this size is sent in, padding included. */
export function partCountFor(size: number, partSize: number): number {
  return Math.max(1, Math.ceil(paddedSize(size) / partSize));
}

/**
 * Reads a file of known size through `read` and yields every part's ciphertext in order: the
 * one loop the browser, the tests and the benchmarks share. The manifest follows (sealManifest).
 */
export async function* sealFile<Extra = never>(sealer: SubmissionSealer<Extra>, size: number, read: (start: number, end: number) => Promise<Uint8Array>): AsyncGenerator<Uint8Array | Extra> {
  // Up to sealer.parallel parts are being sealed at once (workers), and handed over in order.
  const sealing: Promise<Uint8Array | Extra>[] = [];
  const start = (part: Promise<Uint8Array | Extra>) => {
    part.catch(() => undefined); // awaited below in its turn; meanwhile its failure is not "unhandled"
    sealing.push(part);
  };
  const full = Math.floor(size / sealer.partSize);
  for (let n = 0; n < full; n++) {
    start(sealer.sealPart(await read(n * sealer.partSize, (n + 1) * sealer.partSize)));
    // The last full part waits until the file has ended: it may be the last part of all (a size
    // that fills its size class), and the page seals the manifest as soon as it has the last part.
    if (n < full - 1 && sealing.length >= sealer.parallel) yield await sealing.shift()!;
  }
  const tail = sealer.sealEndEach(await read(full * sealer.partSize, size));
  if (full > 0 && sealing.length >= sealer.parallel) yield await sealing.shift()!;
  for (const part of tail) {
    start(part);
    if (sealing.length >= sealer.parallel) yield await sealing.shift()!;
  }
  while (sealing.length > 0) yield await sealing.shift()!;
}
