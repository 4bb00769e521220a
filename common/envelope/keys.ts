import * as openpgp from 'openpgp';
import { DecryptionError, UnsupportedKeyError } from './errors.ts';

export type JournalistKey = {
  /** Upper-case hex fingerprint of the primary key. */
  fingerprint: string;
  /** Lower-case hex key ID of the subkey every PKESK must name. */
  recipientKeyId: string;
  /** The public key alone, re-armoured, so nothing else from the upload is stored. */
  armored: string;
  key: openpgp.PublicKey;
};

// Algorithms GnuPG 2.2 can decrypt with; RFC 9580 X25519/X448 (25/26) it cannot.
const GPG22_ENCRYPTION = new Set<number>([
  openpgp.enums.publicKey.rsaEncryptSign,
  openpgp.enums.publicKey.rsaEncrypt,
  openpgp.enums.publicKey.ecdh,
]);
// Features subpacket bit 0x08: "I can read SEIPDv2"; openpgp.js then emits what GnuPG 2.2 cannot read.
const SEIPDV2_FEATURE = 0x08;
const EXPORT_HINT = 'Export the public key from GnuPG with: gpg --armor --export YOUR-KEY-ID > key.asc';

async function parseKey(input: string | Uint8Array): Promise<openpgp.Key> {
  try {
    if (typeof input === 'string') return await openpgp.readKey({ armoredKey: input });
    return await openpgp.readKey({ binaryKey: input });
  } catch {
    throw new UnsupportedKeyError(`This is not an OpenPGP public key. ${EXPORT_HINT}`);
  }
}

async function selfSignatures(key: openpgp.Key): Promise<openpgp.SignaturePacket[]> {
  const primary = await key.getPrimaryUser().catch(() => {
    throw new UnsupportedKeyError(`The key has no valid user ID self-signature. ${EXPORT_HINT}`);
  });
  return [primary.selfCertification, ...key.users.flatMap((u) => u.selfCertifications)];
}

/**
 * The key is served to every anonymous visitor: third-party certifications would tell them who
 * vouched for the journalist, and a photo ID shows their face. Only what encryption needs stays.
 */
function stripToMinimal(key: openpgp.Key): void {
  key.users = key.users.filter((user) => user.userAttribute === null);
  for (const user of key.users) user.otherCertifications = [];
}

/** Accepts only keys that make openpgp.js emit what GnuPG 2.2 reads: v4, SEIPDv1, AES-256. */
export async function readJournalistKey(input: string | Uint8Array): Promise<JournalistKey> {
  const key = await parseKey(input);
  if (key.isPrivate()) {
    throw new UnsupportedKeyError(
      `This file holds a PRIVATE key; it must never be uploaded. Give the public key only. ${EXPORT_HINT}`,
    );
  }
  if (key.keyPacket.version !== 4) {
    throw new UnsupportedKeyError(
      `This is a v${key.keyPacket.version} key; GnuPG 2.2 cannot decrypt messages to it. Use a v4 key made by GnuPG 2.2/2.4 (gpg --quick-gen-key), or by Sealdrop.`,
    );
  }
  const sigs = await selfSignatures(key);
  if (sigs.some((s) => s.features && (s.features[0]! & SEIPDV2_FEATURE))) {
    throw new UnsupportedKeyError(
      'This key advertises SEIPDv2 (AEAD) support, which would make messages unreadable by GnuPG 2.2/2.4. Use a key made by GnuPG 2.2/2.4 or a v4 key without that feature flag.',
    );
  }
  const primary = sigs[0]!;
  if (!primary.preferredSymmetricAlgorithms?.includes(openpgp.enums.symmetric.aes256)) {
    throw new UnsupportedKeyError('This key does not list AES-256 among its preferred ciphers. Update its preferences (gpg --edit-key, setpref) or make a new key.');
  }
  const encryptionKey = await key.getEncryptionKey().catch(() => {
    throw new UnsupportedKeyError(
      `This key has no valid encryption-capable subkey (it may be signing-only, expired or revoked). ${EXPORT_HINT}`,
    );
  });
  if (!GPG22_ENCRYPTION.has(encryptionKey.keyPacket.algorithm)) {
    throw new UnsupportedKeyError(
      'The encryption subkey uses an algorithm GnuPG 2.2 cannot use (RFC 9580 X25519/X448). Make the key with curve25519Legacy (cv25519) or RSA.',
    );
  }
  stripToMinimal(key);
  return {
    fingerprint: key.getFingerprint().toUpperCase(),
    recipientKeyId: encryptionKey.getKeyID().toHex(),
    armored: key.armor(),
    key: key as openpgp.PublicKey,
  };
}

/** Reads a journalist's private key, unlocking it with the passphrase if it is protected. */
export async function readPrivateKey(armoredOrBinary: string | Uint8Array, passphrase?: string): Promise<openpgp.PrivateKey> {
  let key: openpgp.PrivateKey;
  try {
    key =
      typeof armoredOrBinary === 'string'
        ? await openpgp.readPrivateKey({ armoredKey: armoredOrBinary })
        : await openpgp.readPrivateKey({ binaryKey: armoredOrBinary });
  } catch {
    throw new UnsupportedKeyError('This is not an OpenPGP private key (export it with: gpg --armor --export-secret-keys KEY-ID).');
  }
  if (key.isDecrypted()) return key;
  if (passphrase === undefined) throw new DecryptionError('The private key is protected by a passphrase; give it (for example with --passphrase-file).');
  try {
    return await openpgp.decryptKey({ privateKey: key, passphrase });
  } catch {
    throw new DecryptionError('Wrong passphrase for the private key.');
  }
}

export type { PrivateKey, PublicKey } from 'openpgp';
