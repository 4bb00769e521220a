// Typed errors let callers (routes, CLI, pages) map each failure to a message a person can act on.
export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
}

/** Bytes that are not a well-formed OpenPGP message (plaintext, garbage, armour, extra packets). */
export class NotEncryptedError extends EnvelopeError {
  override name = 'NotEncryptedError';
}

/** An encrypted message whose recipients are not exactly the current journalist keys. */
export class WrongRecipientsError extends EnvelopeError {
  override name = 'WrongRecipientsError';
}

/** A journalist key that Sealdrop cannot safely encrypt to (wrong version, no encryption subkey, SEIPDv2...). */
export class UnsupportedKeyError extends EnvelopeError {
  override name = 'UnsupportedKeyError';
}

/** A source key that is not exactly what Sealdrop makes: its shape, lock or times could cost or date. */
export class SourceKeyError extends UnsupportedKeyError {
  override name = 'SourceKeyError';
}

/** Decryption failed: wrong key, wrong passphrase, or tampered ciphertext. */
export class DecryptionError extends EnvelopeError {
  override name = 'DecryptionError';
}

/** A manifest that does not follow the format. */
export class BadManifestError extends EnvelopeError {
  override name = 'BadManifestError';
}

/** A part that is missing, truncated, reordered or altered with respect to its manifest. */
export class PartMismatchError extends EnvelopeError {
  override name = 'PartMismatchError';
  constructor(
    readonly part: number,
    message: string,
  ) {
    super(message);
  }
}

/** An options object with a key the function does not know: a typo must not silently weaken a call. */
export class UnknownOptionError extends EnvelopeError {
  override name = 'UnknownOptionError';
}

export function checkOptions(options: object, allowed: readonly string[], fn: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new UnknownOptionError(`${fn}: unknown option "${key}"`);
  }
}
