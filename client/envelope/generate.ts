import * as openpgp from 'openpgp';
import { checkOptions } from './errors.ts';

export type GenerateOptions = { name: string; passphrase?: string };
export type KeyPair = { publicKey: string; privateKey: string };

/**
 * A v4 key GnuPG 2.2 can use: Ed25519 signing, curve25519Legacy (cv25519) encryption, and no
 * SEIPDv2 feature flag, so that messages to it stay SEIPDv1.
 */
export async function generateKeyPair(options: GenerateOptions): Promise<KeyPair> {
  checkOptions(options, ['name', 'passphrase'], 'generateKeyPair');
  const { publicKey, privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: options.name }],
    ...(options.passphrase ? { passphrase: options.passphrase } : {}),
    format: 'armored',
    config: { v6Keys: false, aeadProtect: false },
  });
  return { publicKey, privateKey };
}
