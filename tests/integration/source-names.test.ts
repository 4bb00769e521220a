import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, openManifest, readJournalistKey, readPrivateKey, readRecipientKeyIds, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { onceIn, postForm, postSend } from '../helpers/raw-form.ts';

// Issue 25: the source sees the names of what they sent. Each manifest is also sealed to the
// source's own key (the page seals it so, the no-JS path too), the server accepts exactly the desk's
// keys plus that key (or the desk's keys alone: a page loaded before), and a journalist's GnuPG
// still opens it.
let instance: Instance;
let gpg: GpgHome;
let journalist: PublicKey;
let stranger: PublicKey;
let work: string;

beforeAll(async () => {
  [instance, gpg] = await Promise.all([startInstance(), makeGpgHome('names')]);
  const armored = await readFile(gpg.publicKeyFile, 'utf8');
  await instance.addJournalist('desk', armored);
  journalist = (await readJournalistKey(armored)).key;
  stranger = (await readJournalistKey((await generateKeyPair({ name: 'Eve' })).publicKey)).key;
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-names-'));
});
afterAll(async () => {
  await instance?.stop();
  await Promise.all([gpg?.cleanup(), rm(work, { recursive: true, force: true })]);
});

type Source = Awaited<ReturnType<typeof registerApiSource>>;
const api = (p: string, init: RequestInit & { token?: string; secret?: string } = {}) =>
  fetch(`${instance.sourceUrl}/api${p}`, { ...init, headers: { ...(init.headers as Record<string, string>), ...(init.token ? { 'x-source-token': init.token } : {}), ...(init.secret ? { 'x-upload-secret': init.secret } : {}) } });

/** One small file on the JS path, its manifest sealed to the journalist and `alsoTo`; the manifest's answer status. */
async function sendAs(source: Source, name: string, alsoTo: PublicKey[]): Promise<number> {
  const secret = randomBytes(32).toString('hex');
  const made = await api('/submissions', { method: 'POST', token: source.token, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ parts: 1, secret }) });
  const id = ((await made.json()) as { submission: string }).submission;
  const sealer = new SubmissionSealer({ submission: id, name, type: 'text/plain', recipients: [journalist] });
  const octets = (body: Uint8Array) => ({ method: 'PUT', secret, headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
  for await (const part of sealer.sealEnd(new TextEncoder().encode(`contents of ${name}`))) expect((await api(`/submissions/${id}/parts/1`, octets(part))).status).toBe(204);
  const sealed = await sealer.sealManifest(alsoTo);
  const status = (await api(`/submissions/${id}/manifest`, octets(sealed))).status;
  if (status === 204) expect((await api(`/submissions/${id}/complete`, { method: 'POST', secret })).status).toBe(204);
  return status;
}

const ownKey = async (source: Source) => (await readJournalistKey(source.publicKey)).key;
const sentManifest = async (source: Source, n: number) => {
  const res = await api(`/sent/${n}/manifest`, { token: source.token });
  return { status: res.status, bytes: new Uint8Array(await res.arrayBuffer()) };
};

describe('with JavaScript (the API)', () => {
  test('a manifest sealed to the desk and the source is accepted, and the source opens its name with its own key', async () => {
    const source = await registerApiSource(instance.sourceUrl);
    expect(await sendAs(source, 'contract-2.pdf', [await ownKey(source)])).toBe(204);
    const { status, bytes } = await sentManifest(source, 1);
    expect(status).toBe(200);
    const key = await readPrivateKey(source.privateKey, source.keyPassphrase);
    expect((await openManifest({ data: bytes, keys: [key] })).name).toBe('contract-2.pdf');
    // The source is given only its own session key packet (no journalist key IDs); the journalist's
    // GnuPG opens the stored manifest (one session key packet more, the source's).
    expect(readRecipientKeyIds(bytes)).toEqual([(await readJournalistKey(source.publicKey)).recipientKeyId]);
    const file = path.join(work, 'manifest.pgp');
    await writeFile(file, await instance.store.blobs.read((instance.rows().submissions as { manifest_blob: string }[]).at(-1)!.manifest_blob)); // the item just sent
    expect(JSON.parse((await gpg.decrypt(file)).toString().trimEnd()).name).toBe('contract-2.pdf');
  });

  test('a manifest sealed to any other key is refused and nothing completes; the desk\'s keys alone (a page loaded before) still are accepted', async () => {
    const source = await registerApiSource(instance.sourceUrl);
    const before = instance.store.submissions.listComplete().length;
    expect(await sendAs(source, 'a.txt', [stranger])).toBe(409);
    expect(await sendAs(source, 'b.txt', [await ownKey(source), stranger])).toBe(409);
    const other = await registerApiSource(instance.sourceUrl);
    expect(await sendAs(source, 'c.txt', [await ownKey(other)])).toBe(409); // another source's key
    expect(instance.store.submissions.listComplete().length).toBe(before);
    expect(await sendAs(source, 'd.txt', [])).toBe(204);
    const { bytes } = await sentManifest(source, 1);
    await expect(openManifest({ data: bytes, keys: [await readPrivateKey(source.privateKey, source.keyPassphrase)] })).rejects.toThrow();
  });

  test('a source gets only its own items\' manifests, by number; anything else is a 404 or needs a session', async () => {
    const source = await registerApiSource(instance.sourceUrl);
    const other = await registerApiSource(instance.sourceUrl);
    expect(await sendAs(source, 'mine.txt', [await ownKey(source)])).toBe(204);
    expect((await sentManifest(other, 1)).status).toBe(404); // the other source has sent nothing
    for (const n of ['0', '2', 'x', '1e3', '-1']) expect((await api(`/sent/${n}/manifest`, { token: source.token })).status).toBe(404);
    expect((await api('/sent/1/manifest')).status).toBe(401);
  });
});

describe('without JavaScript', () => {
  test('the server seals a sent file\'s manifest to the source\'s key too; the journalist\'s GnuPG opens it; the conversation says names are not shown', async () => {
    const start = await (await fetch(`${instance.sourceUrl}/`)).text();
    const sent = await postSend(instance.sourceUrl, { once: onceIn(start), message: '', files: [{ name: 'ledger.csv', bytes: 'a,b' }] });
    expect(sent.status).toBe(200);
    const codename = /<p class="codename" id="codename" dir="ltr">([^<]+)<\/p>/.exec(sent.html)![1]!;
    const mine = (instance.rows().submissions as { source_id: string; manifest_blob: string }[]).at(-1)!; // the newest row
    const bytes = await instance.store.blobs.read(mine.manifest_blob);
    const sourceKey = instance.store.sources.get(mine.source_id).recipientKeyId;
    expect(new Set(readRecipientKeyIds(bytes))).toEqual(new Set([(await readJournalistKey(journalist.armor())).recipientKeyId, sourceKey]));
    const file = path.join(work, 'nojs-manifest.pgp');
    await writeFile(file, bytes);
    expect(JSON.parse((await gpg.decrypt(file)).toString().trimEnd()).name).toBe('ledger.csv');
    const back = await postForm(`${instance.sourceUrl}/login`, { codename });
    expect(back.status).toBe(200);
    expect(back.html).toContain('Without JavaScript, names are not shown');
    expect(back.html).not.toContain('ledger.csv');
  });
});
