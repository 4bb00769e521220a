import { readFileSync } from 'node:fs';
import path from 'node:path';
import { OnionKeyError } from './errors.ts';
import { addressOfPublicKeyFile, onionAddress, publicKeyOfSecretKeyFile } from './keys.ts';

// Tor publishes a service under the key in `hs_ed25519_secret_key`, whatever the other files say.
// A data directory that was forged, tampered with or mixed up when restored could otherwise make
// Sealdrop print (to the administrator, on the admin page and its QR code, in the torrc-only
// output, after a restore) an address the newsroom does not control, or hide the one tor serves.

const SEE_TO_IT = 'Sealdrop will not advertise an address tor does not serve. Restore this folder from a backup you trust';

/** A file of the service directory, or null if it is absent (any other failure is thrown). */
function optional(dir: string, name: string): Buffer | null {
  try {
    return readFileSync(path.join(dir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

/**
 * The onion address tor publishes for the service whose keys are in `dir` (a HiddenServiceDir),
 * or null if it holds no key at all. Computed from the secret key; `hs_ed25519_public_key` and
 * `hostname`, where present, must name the same address, or OnionKeyError (stable `code`).
 */
export function verifiedOnionAddress(dir: string): string | null {
  const secret = optional(dir, 'hs_ed25519_secret_key');
  const publicKey = optional(dir, 'hs_ed25519_public_key');
  const hostname = optional(dir, 'hostname');
  if (secret === null) {
    if (publicKey === null && hostname === null) return null;
    throw new OnionKeyError('secret_key_missing', `${dir} names an onion address but holds no hs_ed25519_secret_key: tor would make a new key and publish another address. ${SEE_TO_IT}.`);
  }
  const address = onionAddress(publicKeyOfSecretKeyFile(secret));
  const fix = `${SEE_TO_IT} (or, if hs_ed25519_secret_key is the right key, delete hs_ed25519_public_key and hostname: tor writes them again from it).`;
  if (publicKey !== null && addressOfPublicKeyFile(publicKey) !== address) {
    throw new OnionKeyError('public_key_mismatch', `${dir}/hs_ed25519_public_key is not the public half of hs_ed25519_secret_key, the key tor publishes the service under: the folder was altered or mixed with another service's. ${fix}`);
  }
  if (hostname !== null && !hostname.equals(Buffer.from(`${address}\n`))) {
    throw new OnionKeyError('hostname_mismatch', `${dir}/hostname does not name the address of hs_ed25519_secret_key, the key tor publishes the service under: the folder was altered or mixed with another service's. ${fix}`);
  }
  return address;
}
