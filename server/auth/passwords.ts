import { hash, verify } from '@node-rs/argon2';
import { zxcvbn, zxcvbnOptions } from '@zxcvbn-ts/core';
import * as common from '@zxcvbn-ts/language-common';

// Argon2id at OWASP's minimum (m=19456 KiB, t=2, p=1): memory-hard, so a stolen database does not
// give up passphrases to GPU farms cheaply.
const PARAMS = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 };
export const MIN_PASSPHRASE_LENGTH = 14;

export class WeakPassphraseError extends Error {
  override name = 'WeakPassphraseError';
}

// Guessability comes from a maintained estimator (zxcvbn: common passwords, keyboard patterns,
// dates, repeats, l33t) rather than hand rules; its score 3 is "safely unguessable" offline
// against a slow hash such as the Argon2id below.
zxcvbnOptions.setOptions({ dictionary: { ...common.dictionary }, graphs: common.adjacencyGraphs });
const MIN_SCORE = 3;
// The estimator's time grows with the length; past this, more characters only add strength.
const ESTIMATED_PREFIX = 256;

/** Refuses passphrases a guesser would try early; long passphrases of ordinary words pass. */
export function checkPassphraseStrength(passphrase: string, username: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new WeakPassphraseError(`The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; several unrelated words work well.`);
  }
  if (passphrase.length > 1024) throw new WeakPassphraseError('The passphrase is too long (1024 characters at most).');
  if (new Set(passphrase).size < 6) throw new WeakPassphraseError('The passphrase repeats too few characters to be strong.');
  if (passphrase.toLowerCase().includes(username.toLowerCase())) throw new WeakPassphraseError('The passphrase must not contain the username.');
  if (zxcvbn(passphrase.slice(0, ESTIMATED_PREFIX), [username, 'sealdrop']).score < MIN_SCORE) {
    throw new WeakPassphraseError('This passphrase is too easy to guess (a common password, a keyboard pattern or a date). Several unrelated words work well.');
  }
}

export const hashPassphrase = (passphrase: string): Promise<string> => hash(passphrase, PARAMS);

// A real hash to verify against when the account does not exist, so timing does not reveal it.
let decoy: Promise<string> | null = null;
export async function verifyPassphrase(stored: string | null, passphrase: string): Promise<boolean> {
  decoy ??= hash('decoy passphrase for missing accounts', PARAMS);
  const target = stored ?? (await decoy);
  const ok = await verify(target, passphrase).catch(() => false);
  return stored !== null && ok;
}
