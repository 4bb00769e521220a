import * as openpgp from 'openpgp';
import { checkOptions, EnvelopeError } from './errors.ts';
import { SOURCE_KEY_DATE, SOURCE_KEY_LOCK, SOURCE_KEY_NAME } from './source-key.ts';

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

export type SourceKeyOptions = { passphrase: string };

/**
 * A source's own key: the shape, lock and date the server accepts (source-key.ts), with the config
 * spelled out so that a change of openpgp.js defaults cannot make keys the server then refuses.
 */
export async function generateSourceKeyPair(options: SourceKeyOptions): Promise<KeyPair> {
  checkOptions(options, ['passphrase'], 'generateSourceKeyPair');
  if (typeof options.passphrase !== 'string' || options.passphrase.length === 0) throw new EnvelopeError('generateSourceKeyPair: a passphrase is required.');
  const { publicKey, privateKey } = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [{ name: SOURCE_KEY_NAME }],
    date: SOURCE_KEY_DATE,
    passphrase: options.passphrase,
    format: 'armored',
    config: { v6Keys: false, aeadProtect: false, s2kType: openpgp.enums.s2k.iterated, s2kIterationCountByte: SOURCE_KEY_LOCK.countByte },
  });
  return { publicKey, privateKey };
}
