import { readFile } from 'node:fs/promises';
import { readJournalistKey, type JournalistKey } from '../../common/envelope/index.ts';
import { CliError } from './args.ts';

/**
 * A journalist's public key from the file `--public-key` names, armoured or binary: what
 * `journalist add` and `journalist rotate-key` take. A file that cannot be read is a CliError
 * naming it; a key that is not one is readJournalistKey's refusal.
 */
export async function readKeyFile(file: string): Promise<JournalistKey> {
  const raw = await readFile(file).catch(() => {
    throw new CliError(`Cannot read ${file}.`);
  });
  const text = raw.toString('utf8');
  return readJournalistKey(text.includes('-----BEGIN PGP') ? text : new Uint8Array(raw));
}
