import { chmodSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { verifiedOnionAddress } from './identity.ts';
import { authorizedClientLine, newClientAuth, newOnionIdentity } from './keys.ts';

// The onion services' keys live in the data directory (DATA/tor, mode 0700), so the addresses
// survive restarts and a backup of the data directory carries them. Tor insists on 0700 too.

export type Service = 'source' | 'journalist';
export const SERVICES: readonly Service[] = ['source', 'journalist'];

export const torDir = (dataDir: string): string => path.join(dataDir, 'tor');
export const serviceDir = (dataDir: string, service: Service): string => path.join(torDir(dataDir), service);

function privateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  chmodSync(dir, 0o700);
}

const IDENTITY_FILES = ['hs_ed25519_secret_key', 'hs_ed25519_public_key', 'hostname'] as const;

/** Writes a file whole or not at all: a crash never leaves tor a truncated key. */
function writeAtomically(file: string, data: Buffer | string): void {
  const temp = `${file}.tmp`;
  writeFileSync(temp, data, { mode: 0o600 });
  renameSync(temp, file);
}

/**
 * Makes the service's identity once; later calls return the same address. A folder that names an
 * address (its `hostname` or public key) without the secret key behind it is refused with
 * OnionKeyError (`secret_key_missing`), never given a new identity: that would silently move the
 * drop to a new address and break every source's bookmark. The secret key is written first, so a
 * crash part-way leaves a folder that verifies.
 */
export function ensureService(dataDir: string, service: Service): string {
  const dir = serviceDir(dataDir, service);
  privateDir(torDir(dataDir));
  privateDir(dir);
  if (verifiedOnionAddress(dir) === null) {
    const identity = newOnionIdentity();
    for (const name of IDENTITY_FILES) writeAtomically(path.join(dir, name), identity.files[name]);
  }
  if (service === 'journalist') privateDir(path.join(dir, 'authorized_clients'));
  return addressOf(dataDir, service)!;
}

/**
 * The service's onion address, or null if `sealdrop onion` has never made it: the address of its
 * secret key, the one tor publishes. Throws OnionKeyError if its other files name another.
 */
export const addressOf = (dataDir: string, service: Service): string | null => verifiedOnionAddress(serviceDir(dataDir, service));

/** True once this data directory publishes onion services (journalists then need access keys). */
export const onionsEnabled = (dataDir: string): boolean => addressOf(dataDir, 'journalist') !== null;

/**
 * Makes `authorized_clients/` hold exactly the given public keys, one file each. With client
 * authorisation on, a tor given no file at all would serve the journalist interface to anyone,
 * so an empty list becomes one key whose private half was never kept.
 */
export function writeAuthorizedClients(dataDir: string, keys: ReadonlyMap<string, string>): void {
  const dir = path.join(serviceDir(dataDir, 'journalist'), 'authorized_clients');
  privateDir(dir);
  const all = keys.size > 0 ? keys : new Map([['nobody', newClientAuth().publicKey]]);
  const wanted = new Map([...all].map(([name, key]) => [`${name}.auth`, `${authorizedClientLine(key)}\n`]));
  for (const name of readdirSync(dir)) if (!wanted.has(name)) rmSync(path.join(dir, name), { force: true });
  for (const [name, line] of wanted) writeAtomically(path.join(dir, name), line);
}
