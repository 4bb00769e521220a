import { randomBytes } from 'node:crypto';
import type { Store } from '../../server/store/index.ts';

/** A real source public key of Sealdrop's shape: the store refuses a recipient key ID that is not its key's. */
export const SOURCE_KEY = {
  publicKey:
    '-----BEGIN PGP PUBLIC KEY BLOCK-----\n' +
    '\n' +
    'xjMEAAAAABYJKwYBBAHaRw8BAQdA+ffsOG9/hVAyAR9S+tRik+cGVh/1EHNK\n' +
    'gc10zJGtUa7ND1NlYWxkcm9wIHNvdXJjZcLAEwQTFgoAhQWCAAAAAAMLCQcJ\n' +
    'EJP5weubZEbLRRQAAAAAABwAIHNhbHRAbm90YXRpb25zLm9wZW5wZ3Bqcy5v\n' +
    'cmdaYbdp0SBqfL1Ftbp0cARWbuZQVVPIbHqeC7Fzjsl5yQUVCggODAQWAAIB\n' +
    'AhkBApsDAh4BFiEEfMMNcH7CRQdbADpOk/nB65tkRssAAIjMAQDv6ycq7FLY\n' +
    'FXgZvteQwoGMTygnzJcfcmxhnloWIPtd2wD+Pa/9LCNAC5Z1I9V42kYwKX1y\n' +
    'gyYP0a5blcMHHzE1zAfOOAQAAAAAEgorBgEEAZdVAQUBAQdAxkdWgwE7B2tM\n' +
    'voBKy9YucIvZxc3XRfYiqpPpLsgZHX8DAQgHwr4EGBYKAHAFggAAAAAJEJP5\n' +
    'weubZEbLRRQAAAAAABwAIHNhbHRAbm90YXRpb25zLm9wZW5wZ3Bqcy5vcmfM\n' +
    'GgOXoQCHdPlC1FEFGoSxQzxhTWgLIPcQdU3WS8qsqQKbDBYhBHzDDXB+wkUH\n' +
    'WwA6TpP5weubZEbLAADgjgD/TqZ9DBphJgGs1Egrx/zuf1/ap7mhDssP2Q1k\n' +
    'AgQSQCcA/jNUHquFwP8SPLE1yFRNrg1bnSaDD4/hbDqpYUPwRgsK\n' +
    '=ZS1I\n' +
    '-----END PGP PUBLIC KEY BLOCK-----\n',
  recipientKeyId: '16432fa9ed633a0e',
};

/** A source row for store-level tests (the routes validate keys; the store checks only that the key ID is the key's). */
export function newSource(store: Store, loginSecret = randomBytes(32).toString('hex')): { id: string; designation: string; loginSecret: string } {
  return { ...store.sources.create({ loginSecret, ...SOURCE_KEY, privateKey: 'private' }), loginSecret };
}

/** A complete one-part item of stand-in bytes, recorded as sealed to `sealedTo` (fingerprints): what visibility reads. */
export async function sealedItem(store: Store, sourceId: string, sealedTo: string[]): Promise<string> {
  const id = store.submissions.create(sourceId, 1);
  await store.submissions.putPart(id, 1, new Uint8Array(4096));
  await store.submissions.putManifest(id, new Uint8Array(600));
  store.submissions.complete(id, sealedTo);
  return id;
}

/** A source registered through the API exactly as the page does it; returns its session token. `chosen`: a codename of one's own (one made before a change to the word list). */
export async function registerApiSource(sourceUrl: string, chosen?: string, desk?: number): Promise<{ token: string; codename: string; keyPassphrase: string; publicKey: string; privateKey: string }> {
  const { generateSourceKeyPair } = await import('../../common/envelope/index.ts');
  const { deriveSourceSecrets, generateCodename } = await import('../../common/codename.ts');
  const config = (await (await fetch(`${sourceUrl}/api/config`)).json()) as { kdfSalt: string };
  const codename = chosen ?? generateCodename();
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, config.kdfSalt);
  const { publicKey, privateKey } = await generateSourceKeyPair({ passphrase: keyPassphrase });
  const res = await fetch(`${sourceUrl}/api/sources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: loginSecret, publicKey, privateKey, ...(desk === undefined ? {} : { desk }) }),
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  return { token: ((await res.json()) as { sourceToken: string }).sourceToken, codename, keyPassphrase, publicKey, privateKey };
}
