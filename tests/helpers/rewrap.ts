import { readFile } from 'node:fs/promises';
import * as openpgp from 'openpgp';
import { partCountFor, readAddedPackets, readJournalistKey, SubmissionSealer, sealFile, unwrapSessionKey, wrapSessionKey, type PrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import type { Store } from '../../server/store/index.ts';
import { newSource } from './sources.ts';
import type { StaffClient } from './staff-client.ts';

/** An item of several small parts, sealed as a page seals it, stored complete with its sealed-to rows. */
export async function storeItem(store: Store, sourceId: string, data: Uint8Array, recipients: { key: PublicKey; fingerprint: string }[], partSize = 16 * 1024): Promise<string> {
  const id = store.submissions.create(sourceId, partCountFor(data.length, partSize));
  const sealer = new SubmissionSealer({ submission: id, name: 'ledger.pdf', type: 'application/pdf', recipients: recipients.map((r) => r.key), partSize });
  let n = 0;
  for await (const part of sealFile(sealer, data.length, async (s, e) => data.subarray(s, e))) await store.submissions.putPart(id, ++n, part);
  await store.submissions.putManifest(id, await sealer.sealManifest());
  store.submissions.complete(id, recipients.map((r) => r.fingerprint));
  return id;
}

export type PlanAnswer = { objects: { ref: string; header: string; add: string[] }[]; keys: Record<string, string> };

/** POSTs JSON to the journalist listener as the page does (session cookie, x-csrf-token). */
export async function postJson(client: StaffClient, path: string, body: unknown, csrf = client.csrf): Promise<Response> {
  return fetch(`${client.base}${path}`, {
    method: 'POST',
    headers: { cookie: client.cookie, 'content-type': 'application/json', 'x-csrf-token': csrf, 'sec-fetch-site': 'same-origin' },
    body: JSON.stringify(body),
  });
}

/** The page's half of a re-wrap, in the test: each object's session key unwrapped with `keys`, wrapped for the plan's added keys. */
export async function wrapPlan(plan: PlanAnswer, keys: PrivateKey[]): Promise<{ ref: string; add: string }[]> {
  const out: { ref: string; add: string }[] = [];
  for (const o of plan.objects) {
    const sessionKey = await unwrapSessionKey(Buffer.from(o.header, 'base64'), keys);
    const add = o.add.length ? await wrapSessionKey(sessionKey, o.add.map((id) => plan.keys[id]!)) : new Uint8Array(0);
    readAddedPackets(add);
    out.push({ ref: o.ref, add: Buffer.from(add).toString('base64') });
  }
  return out;
}

/** Asks for the plan, re-wraps it with `keys`, sends it: the answer of the second request. */
export async function rewrapThrough(client: StaffClient, path: string, body: Record<string, unknown>, keys: PrivateKey[]): Promise<Response> {
  const planned = await postJson(client, path, body);
  if (planned.status !== 200) return planned;
  const objects = await wrapPlan((await planned.json()) as PlanAnswer, keys);
  return postJson(client, path, { ...body, objects });
}

/** A conversation of desk `deskId` holding one item sealed to the key `publicKey` alone. */
export async function deskConversation(store: Store, deskId: number, publicKey: string, data: Uint8Array): Promise<{ sourceId: string; item: string }> {
  const sourceId = newSource(store).id;
  store.desks.setDesk(sourceId, deskId);
  const key = await readJournalistKey(publicKey);
  return { sourceId, item: await storeItem(store, sourceId, data, [{ key: key.key, fingerprint: key.fingerprint }]) };
}

/**
 * What must never be sent: each secret parameter of a private key (unlocked with `passphrase`),
 * each secret-key packet as stored, and the session key of each object file it opens.
 */
export async function secretsOf(armoredKey: string, objectFiles: string[], passphrase?: string): Promise<Record<string, Uint8Array>> {
  const locked = await openpgp.readPrivateKey({ armoredKey });
  const unlocked = passphrase ? await openpgp.decryptKey({ privateKey: locked, passphrase }) : locked;
  const secrets: Record<string, Uint8Array> = {};
  const packets = (k: openpgp.PrivateKey) => [k.keyPacket, ...k.subkeys.map((s) => s.keyPacket)] as openpgp.SecretKeyPacket[];
  packets(unlocked).forEach((packet, i) => {
    const params = (packet as unknown as { privateParams: Record<string, unknown> }).privateParams;
    for (const [name, value] of Object.entries(params)) if (value instanceof Uint8Array) secrets[`key ${i} secret ${name}`] = value;
  });
  // The protected secret part as the file holds it: the packet after its public part.
  const publicPart = (p: object): Uint8Array => (p as unknown as { writePublicKey(): Uint8Array }).writePublicKey();
  packets(locked).forEach((packet, i) => (secrets[`key ${i} protected secret`] = packet.write().subarray(publicPart(packet).length)));
  for (const [i, file] of objectFiles.entries()) {
    const message = await openpgp.readMessage({ binaryMessage: await readFile(file) });
    const [sessionKey] = await openpgp.decryptSessionKeys({ message, decryptionKeys: unlocked });
    secrets[`session key of object ${i}`] = sessionKey!.data;
  }
  return secrets;
}
