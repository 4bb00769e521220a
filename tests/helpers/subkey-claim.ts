import * as openpgp from 'openpgp';
import { readJournalistKey } from '../../common/envelope/index.ts';

/**
 * A key of a new primary carrying `of`'s encryption subkey (a forged or careless key): the subkey's
 * key ID is then claimed by two keys. The store refuses to add such a key; tests write it straight
 * into the database, as a forged or restored one could hold it.
 */
export async function keyWithSubkeyOf(of: string): Promise<{ fingerprint: string; recipientKeyId: string; armored: string }> {
  const victim = await openpgp.readKey({ armoredKey: of });
  const { privateKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'j' }], format: 'object', config: { v6Keys: false, aeadProtect: false } });
  const subkey = victim.subkeys[0]!.keyPacket;
  const binding = new openpgp.SignaturePacket();
  Object.assign(binding, { signatureType: openpgp.enums.signature.subkeyBinding, publicKeyAlgorithm: privateKey.keyPacket.algorithm, hashAlgorithm: openpgp.enums.hash.sha256, keyFlags: [openpgp.enums.keyFlags.encryptCommunication | openpgp.enums.keyFlags.encryptStorage] });
  await (binding as unknown as { sign(k: unknown, d: unknown, t: Date, d2: boolean, c: unknown): Promise<void> }).sign(privateKey.keyPacket, { key: privateKey.keyPacket, bind: subkey }, new Date(), false, openpgp.config);
  const kept = new openpgp.PacketList<openpgp.AnyPacket>();
  for (const p of privateKey.toPublic().toPacketList()) {
    if (p instanceof openpgp.PublicSubkeyPacket) break;
    kept.push(p);
  }
  kept.push(subkey, binding);
  return readJournalistKey(new openpgp.PublicKey(kept).armor());
}
