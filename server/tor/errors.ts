// Kept apart from process.ts so the key code (which process.ts reaches through services.ts) can
// name them without an import cycle.

/** Tor could not start: a missing binary, a bad torrc, or tor exiting before it read its config. */
export class TorStartError extends Error {
  override name = 'TorStartError';
}

export type OnionKeyCode = 'secret_key_malformed' | 'secret_key_missing' | 'public_key_malformed' | 'public_key_mismatch' | 'hostname_mismatch';

/**
 * An onion service's key files are malformed or disagree with each other. Tor publishes the
 * service under the key in `hs_ed25519_secret_key`; an address read from any other file could be
 * one the newsroom does not control, so nothing is started, printed or restored. A TorStartError,
 * so the server's start reports it in one line like any other reason tor cannot run.
 */
export class OnionKeyError extends TorStartError {
  override name = 'OnionKeyError';

  constructor(
    readonly code: OnionKeyCode,
    message: string,
  ) {
    super(message);
  }
}
