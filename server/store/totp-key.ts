import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, linkSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import path from 'node:path';

/** The key that seals TOTP secrets is missing, malformed or not the one they were sealed with. */
export class TotpKeyError extends Error {
  override name = 'TotpKeyError';
}

// A versioned prefix tells sealed values from the plaintext an older Sealdrop stored.
const PREFIX = 'v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export const isSealed = (stored: string): boolean => stored.startsWith(PREFIX);

export type TotpBox = {
  seal(journalistId: number, secret: string): string;
  /** Throws TotpKeyError if the value was sealed under another key or for another journalist. */
  open(journalistId: number, stored: string): string;
};

// Bound to the row: a sealed secret copied onto another journalist's row does not open there.
const aad = (journalistId: number) => Buffer.from(`sealdrop totp ${PREFIX} journalist ${journalistId}`);

/** AES-256-GCM under a key that lives outside the database. */
export function totpBox(key: Buffer, keyFile: string): TotpBox {
  return {
    seal(journalistId, secret) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(aad(journalistId));
      const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
      return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(journalistId, stored) {
      const raw = isSealed(stored) ? Buffer.from(stored.slice(PREFIX.length), 'base64url') : Buffer.alloc(0);
      try {
        if (raw.length <= IV_BYTES + TAG_BYTES) throw new Error('not a sealed value');
        const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES)).setAAD(aad(journalistId));
        decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
        return Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new TotpKeyError(
          `A journalist's TOTP secret does not open with the key file ${keyFile}: it is not the key they were sealed with ` +
            '(check SEALDROP_KEY_FILE), or the database was altered.',
        );
      }
    },
  };
}

/**
 * Reads the key file; creates it (0600) when it is missing and nothing is sealed yet. If secrets
 * are sealed, a missing key is an error: a fresh key would lock every journalist out silently.
 */
export function loadTotpKey(keyFile: string, sealedSecrets: number): Buffer {
  let bytes: Buffer;
  try {
    bytes = readFileSync(keyFile);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw new TotpKeyError(`Cannot read the key file ${keyFile}: ${(error as Error).message}.`);
    if (sealedSecrets > 0) {
      throw new TotpKeyError(
        `The key file ${keyFile} is missing, but ${sealedSecrets} journalist TOTP secret(s) are sealed under it. ` +
          'Make it available (SEALDROP_KEY_FILE names it) and start again; without it every journalist must be enrolled again.',
      );
    }
    return createKeyFile(keyFile);
  }
  return parseKey(bytes, keyFile);
}

// 32 raw bytes, or 64 hex digits (easier to keep on paper or type into a boot prompt).
function parseKey(bytes: Buffer, keyFile: string): Buffer {
  if (bytes.length === KEY_BYTES) return bytes;
  const text = bytes.toString('latin1').trim();
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  throw new TotpKeyError(`The key file ${keyFile} must hold 32 random bytes (make it with: (umask 077; head -c 32 /dev/urandom > FILE)) or 64 hex digits; it holds ${bytes.length} bytes.`);
}

function createKeyFile(keyFile: string): Buffer {
  const key = randomBytes(KEY_BYTES);
  const temp = `${keyFile}.tmp-${randomBytes(8).toString('hex')}`;
  try {
    const fd = openSync(temp, 'wx', 0o600);
    try {
      writeSync(fd, key);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // A link appears whole or not at all, and never replaces a key another process made first.
    linkSync(temp, keyFile);
    syncDir(path.dirname(keyFile));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return parseKey(readFileSync(keyFile), keyFile);
    throw new TotpKeyError(`Cannot create the key file ${keyFile}: ${(error as Error).message}.`);
  } finally {
    rmSync(temp, { force: true });
  }
  return key;
}

// Without this a power loss could lose the key after secrets sealed under it were committed.
function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
