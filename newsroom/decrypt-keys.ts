import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { NotEncryptedError, readPrivateKey, readRecipientKeyIds, type PrivateKey } from '../common/envelope/index.ts';
import { parseKeyLines, SEALED_TO_FILE, type KnownKey } from '../common/export-layout.ts';
import { CliError } from './args.ts';

// `sealdrop decrypt` with several keys: after a rotation a journalist holds an old key and a new
// one, and an export holds objects sealed to either (until "move my items to my new key" re-wraps
// them). Every object is opened with whichever given key it is sealed to; one sealed to none of
// them is refused by name, before openpgp tries, so nobody guesses which key is missing.

/** No key given opens an object: the message names the key IDs it is sealed to and the keys given. */
export class NoKeyError extends Error {
  override name = 'NoKeyError';
}

/**
 * The private keys of --key, in order; --passphrase-file once (for every protected key) or once
 * per --key, in the same order.
 */
export async function readKeys(files: string[], passphraseFiles: string[]): Promise<PrivateKey[]> {
  if (passphraseFiles.length > 1 && passphraseFiles.length !== files.length) {
    throw new CliError(`Give --passphrase-file once (for every key) or once per --key, in the same order: ${files.length} key(s), ${passphraseFiles.length} passphrase file(s).`);
  }
  const keys: PrivateKey[] = [];
  for (const [i, file] of files.entries()) {
    const text = await readFile(file, 'utf8').catch(() => {
      throw new CliError(`Cannot read ${file}.`);
    });
    const passphraseFile = passphraseFiles[passphraseFiles.length > 1 ? i : 0];
    const passphrase = passphraseFile ? (await readFile(passphraseFile, 'utf8')).replace(/\r?\n$/, '') : undefined;
    try {
      keys.push(await readPrivateKey(text, passphrase));
    } catch (error) {
      if (files.length > 1) (error as Error).message = `${file}: ${(error as Error).message}`;
      throw error;
    }
  }
  return keys;
}

const fingerprintOf = (k: PrivateKey) => k.getFingerprint().toUpperCase();

/** What the export says of the keys a submission is sealed to (sealed-to.txt beside it), or nothing. */
export const knownKeys = async (dir: string): Promise<KnownKey[]> =>
  parseKeyLines(await readFile(path.join(dir, SEALED_TO_FILE), 'utf8').catch(() => ''));

/** A key ID as the export names it: "ID (fingerprint FPR, jo's retired key)", or the ID alone. */
function named(keyId: string, known: KnownKey[]): string {
  const k = known.find((x) => x.keyId === keyId.toUpperCase());
  return k ? `${k.keyId} (fingerprint ${k.fingerprint}, ${k.username}'s ${k.retired ? 'retired ' : ''}key)` : keyId.toUpperCase();
}

/**
 * Refuses an object none of `keys` opens, naming what it is sealed to: a PKESK names the key ID of
 * an encryption subkey (the last 16 hex digits of its fingerprint; `gpg --list-keys 0xID` names its
 * owner); `known`, from the export's sealed-to.txt, adds the primary key's fingerprint and whose it is.
 */
export function assertOpenable(object: Uint8Array, keys: PrivateKey[], what: string, known: KnownKey[] = []): void {
  let needs: string[];
  try {
    needs = readRecipientKeyIds(object);
  } catch (error) {
    if (error instanceof NotEncryptedError) return; // not an object Sealdrop made: the envelope says why
    throw error;
  }
  const have = new Set(keys.flatMap((k) => k.getKeyIDs().map((id) => id.toHex().toLowerCase())));
  if (needs.some((id) => have.has(id.toLowerCase()))) return;
  throw new NoKeyError(
    `${what} is sealed to the key(s) with ID ${needs.map((id) => named(id, known)).join(', ')}, and no key given opens it ` +
      `(given: ${keys.map(fingerprintOf).join(', ')}). Add the key it needs with another --key: an older key of yours ` +
      '(kept until your items are moved to your new key) or a colleague\'s.',
  );
}
