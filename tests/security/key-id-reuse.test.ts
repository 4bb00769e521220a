import { describe, expect, test } from 'vitest';
import * as openpgp from 'openpgp';
import { readJournalistKey } from '../../common/envelope/index.ts';
import { ConflictError } from '../../server/store/index.ts';
import { keyFields, addJournalist } from '../helpers/journalists.ts';
import { tempStore } from '../helpers/temp-store.ts';

// An encryption subkey needs no signature from its owner: anyone can publish a key made of their
// own primary key and a colleague's encryption subkey, bound by their own signature. Stored, it
// would make every object sealed to the colleague look sealed to them (visibility) and let their
// key rotation drop the colleague's PKESKs. No key ID of a new key may be another journalist's.

const store = tempStore('key-id-reuse-');

/** A valid public key: a fresh primary key of its own, carrying `victim`'s encryption subkey. */
async function withForeignSubkey(victim: string): Promise<string> {
  const foreign = (await openpgp.readKey({ armoredKey: victim })).subkeys[0]!.keyPacket;
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'j' }], format: 'object', config: { v6Keys: false, aeadProtect: false } });
  const binding = new openpgp.SignaturePacket();
  binding.signatureType = openpgp.enums.signature.subkeyBinding;
  binding.publicKeyAlgorithm = privateKey.keyPacket.algorithm;
  binding.hashAlgorithm = openpgp.enums.hash.sha256;
  binding.keyFlags = new Uint8Array([openpgp.enums.keyFlags.encryptCommunication | openpgp.enums.keyFlags.encryptStorage]);
  // openpgp's typings list fewer arguments than SignaturePacket.sign takes (detached, config).
  await (binding.sign as (...args: unknown[]) => Promise<void>)(privateKey.keyPacket, { key: privateKey.keyPacket, bind: foreign }, new Date(), false, openpgp.config);
  const packets = new openpgp.PacketList<openpgp.AnyPacket>();
  for (const p of privateKey.toPublic().toPacketList()) {
    if (p instanceof openpgp.PublicSubkeyPacket) break; // its own subkey and what follows are left out
    packets.push(p);
  }
  packets.push(foreign, binding);
  return new openpgp.PublicKey(packets).armor();
}

describe("a key carrying a colleague's key ID", () => {
  test('is read as a valid journalist key (so only the store stands in its way)', async () => {
    const x = await keyFields('x');
    const crafted = await readJournalistKey(await withForeignSubkey(x.publicKey));
    expect(crafted.recipientKeyId).toBe(x.recipientKeyId);
    expect(crafted.fingerprint).not.toBe(x.fingerprint);
  });

  test('is refused for a new journalist, a replaced key, a rotation and a key change', async () => {
    const x = await addJournalist(store, 'x');
    const j = await addJournalist(store, 'j');
    const crafted = await readJournalistKey(await withForeignSubkey(x.publicKey));
    const fields = { fingerprint: crafted.fingerprint, recipientKeyId: crafted.recipientKeyId, publicKey: crafted.armored };
    expect(() => store.journalists.add({ ...fields, username: 'k' })).toThrow(ConflictError);
    expect(() => store.journalists.replaceKey(j.id, fields)).toThrow(ConflictError);
    expect(() => store.journalists.rotateKey(j.id, fields)).toThrow(ConflictError);
    await expect(store.changes.request('key', { journalistId: j.id, publicKey: crafted.armored }, j.id)).rejects.toThrow(ConflictError);
    expect(store.journalists.byId(j.id).publicKey).not.toBe(crafted.armored);
    expect(store.journalists.list().map((r) => r.username)).toEqual(['j', 'x']);
  });

  test("is refused when the key ID is a colleague's retired key", async () => {
    const x = await addJournalist(store, 'x');
    const j = await addJournalist(store, 'j');
    const old = x.publicKey;
    const next = await keyFields('x2');
    store.journalists.rotateKey(x.id, next);
    const crafted = await readJournalistKey(await withForeignSubkey(old));
    await expect(store.changes.request('key', { journalistId: j.id, publicKey: crafted.armored }, j.id)).rejects.toThrow(ConflictError);
  });
});
