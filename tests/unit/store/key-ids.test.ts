import { expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey } from '../../../common/envelope/index.ts';
import { keyIdsOf, StoredKeyError } from '../../../server/store/key-ids.ts';

// The store reads fingerprints and key IDs from the stored key's own packets (synchronously, at
// every open); they must be exactly what openpgp reads, and anything but one public key is refused.

test('the fingerprint and recipient key ID are the ones openpgp reads', async () => {
  const key = await readJournalistKey((await generateKeyPair({ name: 'Jo' })).publicKey);
  const ids = keyIdsOf(key.armored);
  expect(ids.fingerprint).toBe(key.fingerprint);
  expect(ids.subkeyIds).toEqual([key.recipientKeyId]);
  expect(ids.keyIds[0]).toBe(key.fingerprint.slice(-16).toLowerCase());
});

test('anything but one armoured public key is refused', async () => {
  const pair = await generateKeyPair({ name: 'Jo' });
  const armored = (await readJournalistKey(pair.publicKey)).armored;
  const body = armored.split('\n').find((l) => l.length === 60)!;
  const refused = [
    pair.privateKey,
    `${armored}\n${armored}`,
    `junk\n${armored}`,
    armored.replace(body, `${body.slice(0, 10)}*${body.slice(11)}`),
    armored.replace(/\n=[A-Za-z0-9+/]{4}\n/, '\n=AAAA\n'),
    armored.replace(body, body.slice(0, 40)),
    '',
  ];
  for (const text of refused) expect(() => keyIdsOf(text), text.slice(0, 80)).toThrow(StoredKeyError);
});
