import { randomBytes } from 'node:crypto';
import type { Store } from '../../server/store/index.ts';

/** A source row for store-level tests (the routes validate keys; the store does not). */
export function newSource(store: Store, loginSecret = randomBytes(32).toString('hex')): { id: string; designation: string; loginSecret: string } {
  return { ...store.sources.create({ loginSecret, publicKey: 'public', privateKey: 'private', recipientKeyId: '0'.repeat(16) }), loginSecret };
}

/** A source registered through the API exactly as the page does it; returns its session token. */
export async function registerApiSource(sourceUrl: string): Promise<{ token: string; codename: string; keyPassphrase: string }> {
  const { generateSourceKeyPair } = await import('../../common/envelope/index.ts');
  const { deriveSourceSecrets, generateCodename } = await import('../../common/codename.ts');
  const config = (await (await fetch(`${sourceUrl}/api/config`)).json()) as { kdfSalt: string };
  const codename = generateCodename();
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, config.kdfSalt);
  const { publicKey, privateKey } = await generateSourceKeyPair({ passphrase: keyPassphrase });
  const res = await fetch(`${sourceUrl}/api/sources`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ login: loginSecret, publicKey, privateKey }),
  });
  if (res.status !== 201) throw new Error(`registration failed: ${res.status} ${await res.text()}`);
  return { token: ((await res.json()) as { sourceToken: string }).sourceToken, codename, keyPassphrase };
}
