import { hash, verify } from '@node-rs/argon2';

// Argon2id at OWASP's minimum (m=19456 KiB, t=2, p=1): memory-hard, so a stolen database does not
// give up passphrases to GPU farms cheaply.
const PARAMS = { algorithm: 2 as const, memoryCost: 19456, timeCost: 2, parallelism: 1 };
export const MIN_PASSPHRASE_LENGTH = 14;

export class WeakPassphraseError extends Error {
  override name = 'WeakPassphraseError';
}

/** Refuses passphrases a guesser would try early; long passphrases of ordinary words pass. */
export function checkPassphraseStrength(passphrase: string, username: string): void {
  if (passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw new WeakPassphraseError(`The passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters; several unrelated words work well.`);
  }
  if (passphrase.length > 1024) throw new WeakPassphraseError('The passphrase is too long (1024 characters at most).');
  if (new Set(passphrase).size < 6) throw new WeakPassphraseError('The passphrase repeats too few characters to be strong.');
  if (passphrase.toLowerCase().includes(username.toLowerCase())) throw new WeakPassphraseError('The passphrase must not contain the username.');
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
