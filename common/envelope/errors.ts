// Typed errors let callers (routes, CLI, pages) map each failure to a message a person can act on.
// Each class carries a stable snake_case `code`: the server puts it in JSON answers and the browser
// reacts to it, so a message can be reworded without changing what any program does.
export class EnvelopeError extends Error {
  override name = 'EnvelopeError';
  readonly code: string = 'bad_envelope';
}

/** Bytes that are not a well-formed OpenPGP message (plaintext, garbage, armour, extra packets). */
export class NotEncryptedError extends EnvelopeError {
  override name = 'NotEncryptedError';
  override readonly code: string = 'not_encrypted';
}

/** An encrypted message whose recipients are not exactly the current journalist keys. */
export class WrongRecipientsError extends EnvelopeError {
  override name = 'WrongRecipientsError';
  override readonly code: string = 'wrong_recipients';
}

/** A reply or label whose length is not one padding gives: its stored size would follow the text. */
export class NotPaddedError extends NotEncryptedError {
  override name = 'NotPaddedError';
  override readonly code: string = 'not_padded';
}

/** A journalist key that Sealdrop cannot safely encrypt to (wrong version, no encryption subkey, SEIPDv2...). */
export class UnsupportedKeyError extends EnvelopeError {
  override name = 'UnsupportedKeyError';
  override readonly code: string = 'unsupported_key';
}

/** A source key that is not exactly what Sealdrop makes: its shape, lock or times could cost or date. */
export class SourceKeyError extends UnsupportedKeyError {
  override name = 'SourceKeyError';
  override readonly code: string = 'not_sealdrop_key';
}

/** Decryption failed: wrong key, wrong passphrase, or tampered ciphertext. */
export class DecryptionError extends EnvelopeError {
  override name = 'DecryptionError';
  override readonly code: string = 'decryption_failed';
}

/** A manifest that does not follow the format. */
export class BadManifestError extends EnvelopeError {
  override name = 'BadManifestError';
  override readonly code: string = 'bad_manifest';
}

/** A part that is missing, truncated, reordered or altered with respect to its manifest. */
export class PartMismatchError extends EnvelopeError {
  override name = 'PartMismatchError';
  override readonly code: string = 'part_mismatch';
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
  override readonly code: string = 'unknown_option';
}

export function checkOptions(options: object, allowed: readonly string[], fn: string): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) throw new UnknownOptionError(`${fn}: unknown option "${key}"`);
  }
}
