import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { encryptObject, openText, readJournalistKey, readPrivateKey, type PublicKey } from '../../common/envelope/index.ts';
import { LABEL_SIZE, padText, sealText, TextTooLongError } from '../../common/envelope/pad-text.ts';
import { makeGpgHome, type GpgHome } from '../helpers/gpg.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { makeAccount, StaffClient } from '../helpers/staff-client.ts';

// Threat: a reply's or a label's stored size (the object, the `size` column, the source's download)
// followed its text byte for byte: a one-byte "y" beside a meeting plan, the length of the name a
// newsroom gives a source. Both are padded inside the encryption (replies to the file size classes,
// labels to one size), and the server refuses any reply or label whose length is off that grid.
let instance: Instance;
let staff: StaffClient;
let gpg: GpgHome;
let work: string;
let source: { id: string; public_key: string };
let registered: Awaited<ReturnType<typeof registerApiSource>>;
let replyKeys: PublicKey[];
let labelKeys: PublicKey[];

beforeAll(async () => {
  [instance, gpg, work] = await Promise.all([startInstance(), makeGpgHome('desk', 'ed25519'), mkdtemp(path.join(os.tmpdir(), 'sealdrop-pad-'))]);
  const desk = await makeAccount(instance, 'desk', { publicKey: await readFile(gpg.publicKeyFile, 'utf8') });
  staff = new StaffClient(instance.journalistUrl);
  await staff.login('desk', desk.passphrase, desk.code());
  await staff.get('/');
  registered = await registerApiSource(instance.sourceUrl);
  source = (instance.rows().sources as { id: string; public_key: string }[])[0]!;
  // The keys the journalist's page is given (GET /sources/:id/keys): the source's, then every journalist's.
  const { keys } = (await (await staff.get(`/sources/${source.id}/keys`)).json()) as { keys: string[] };
  replyKeys = await Promise.all(keys.map(async (k) => (await readJournalistKey(k)).key));
  labelKeys = replyKeys.slice(1);
});
afterAll(async () => {
  await instance?.stop();
  await Promise.all([gpg?.cleanup(), work && rm(work, { recursive: true, force: true })]);
});

const post = (what: 'replies' | 'label', body: Uint8Array) =>
  fetch(`${instance.journalistUrl}/sources/${source.id}/${what}`, {
    method: 'POST', headers: { cookie: staff.cookie, 'x-csrf-token': staff.csrf, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' }, body: body as BodyInit,
  });
const reply = async (text: string): Promise<string> => {
  const res = await post('replies', await sealText({ kind: 'reply', text, recipients: replyKeys }));
  expect(res.status, await res.clone().text()).toBe(201);
  return ((await res.json()) as { reply: string }).reply;
};
type ReplyRow = { id: string; blob: string; size: number };
const replyRow = (id: string) => (instance.rows().replies as ReplyRow[]).find((r) => r.id === id)!;
const storedBytes = async (id: string) => (await instance.store.blobs.read(replyRow(id).blob)).length;
const downloaded = async (id: string) => (await (await fetch(`${instance.sourceUrl}/api/replies/${id}`, { headers: { 'x-source-token': registered.token } })).arrayBuffer()).byteLength;
const labelOf = () => (instance.rows().sources as { id: string; label: string | null }[]).find((s) => s.id === source.id)!.label;
const snapshot = async () => ({ rows: instance.rows(), objects: await instance.objectFiles() });

describe('replies', () => {
  test('"y" and a few hundred bytes store, list and download the same size; so do two replies in one larger class', async () => {
    const yes = await reply('y');
    const plan = await reply('Meet at the north gate of the station, Thursday 7 pm; come alone and leave your phone at home. '.repeat(4));
    for (const measure of [(id: string) => replyRow(id).size, storedBytes, downloaded]) {
      expect(await measure(yes)).toBe(await measure(plan));
    }
    // Above 4 KiB, only the size class shows: 5,000 and 5,100 bytes are both stored as 5,120.
    const [a, b] = [await reply('a'.repeat(5000)), await reply('b'.repeat(5100))];
    expect(replyRow(a).size).toBe(replyRow(b).size);
    expect(replyRow(a).size).toBeGreaterThan(replyRow(yes).size);
  });

  test('an unpadded reply (what the page made before), or one off the grid, is refused with a 400; nothing is stored', async () => {
    const before = await snapshot();
    const unpadded = await encryptObject({ data: new TextEncoder().encode('y'), recipients: replyKeys });
    const offGrid = await encryptObject({ data: new Uint8Array(4097), recipients: replyKeys }); // zeros, one byte past a class
    const asLabel = await sealText({ kind: 'label', text: 'y', recipients: replyKeys }); // a label's size is not a reply's
    for (const body of [unpadded, offGrid, asLabel]) {
      const res = await post('replies', body);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/not padded as Sealdrop pads a reply/);
    }
    expect(await snapshot()).toEqual(before);
  });

  test('a padded reply whose data packet length is written longer than it needs is refused too: the bytes are exact', async () => {
    const padded = await sealText({ kind: 'reply', text: 'y', recipients: replyKeys });
    const at = padded.length - (4146 + 3); // the SEIPD packet: tag, two length octets, a 4,146-byte body
    expect([padded[at], ((padded[at + 1]! - 192) << 8) + padded[at + 2]! + 192]).toEqual([0xd2, 4146]);
    const stretched = new Uint8Array([...padded.subarray(0, at + 1), 0xff, 0, 0, 0x10, 0x32, ...padded.subarray(at + 3)]);
    const before = await snapshot();
    expect((await post('replies', stretched)).status).toBe(400);
    expect(await snapshot()).toEqual(before);
  });

  test('the source reads padded replies and one stored before padding, with JavaScript and without; gpg -d gives the text then zeros', async () => {
    const text = 'Yes. nojs-pad-canary-4b1d';
    const id = await reply(text);
    const old = await instance.store.replies.add(source.id, await encryptObject({ data: new TextEncoder().encode('an old unpadded reply'), recipients: replyKeys }));
    // With JavaScript: exactly what the source page does (login, its key, each reply through openText).
    const config = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string };
    const { loginSecret } = await deriveSourceSecrets(registered.codename, config.kdfSalt);
    const session = (await (await fetch(`${instance.sourceUrl}/api/sources/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: loginSecret }) })).json()) as { privateKey: string };
    const key = await readPrivateKey(session.privateKey, registered.keyPassphrase);
    const read = async (r: string) => openText({ data: new Uint8Array(await (await fetch(`${instance.sourceUrl}/api/replies/${r}`, { headers: { 'x-source-token': registered.token } })).arrayBuffer()), keys: [key] });
    expect([await read(id), await read(old)]).toEqual([text, 'an old unpadded reply']);
    // Without JavaScript: the server's key worker decrypts them for one page.
    const page = await (await fetch(`${instance.sourceUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ codename: registered.codename }) })).text();
    expect(page).toContain(`>${text}<`);
    expect(page).toContain('>an old unpadded reply<');
    expect(page).not.toContain('\u0000');
    // GnuPG: the text, then only zero bytes up to 4 KiB (the README strips them with tr -d '\000').
    const file = path.join(work, 'reply.pgp');
    await writeFile(file, await instance.store.blobs.read(replyRow(id).blob));
    const plain = await gpg.decrypt(file);
    expect(plain.length).toBe(4096);
    expect(plain.subarray(0, text.length).toString()).toBe(text);
    expect(plain.subarray(text.length).every((b) => b === 0)).toBe(true);
  });
});

describe('labels', () => {
  test('a label of 1 character and one of 60 are stored the same size, and open to the same text', async () => {
    const sizes: number[] = [];
    const long = 'The driver for the deputy minister of transport, since 2019.'; // 60 characters
    for (const name of ['x', long]) {
      expect((await post('label', await sealText({ kind: 'label', text: name, recipients: labelKeys }))).status).toBe(204);
      sizes.push(Buffer.from(labelOf()!, 'base64').length);
    }
    expect(sizes[0]).toBe(sizes[1]);
    // The journalist's GnuPG opens it: the name, then zeros up to 400 bytes.
    await writeFile(path.join(work, 'label.pgp'), Buffer.from(labelOf()!, 'base64'));
    const plain = await gpg.decrypt(path.join(work, 'label.pgp'));
    expect([plain.length, plain.toString().replace(/\0+$/, '')]).toEqual([LABEL_SIZE, long]);
  });

  test('an unpadded label (what the page made before), or one padded as a reply, is refused with a 400; nothing changes', async () => {
    const before = await snapshot();
    const unpadded = await encryptObject({ data: new TextEncoder().encode('x'), recipients: labelKeys });
    const asReply = await sealText({ kind: 'reply', text: 'x', recipients: labelKeys });
    for (const body of [unpadded, asReply]) {
      const res = await post('label', body);
      expect(res.status).toBe(400);
      expect(await res.text()).toMatch(/not padded as Sealdrop pads a label/);
    }
    expect(await snapshot()).toEqual(before);
  });

  test('the page pads every label to one size and refuses a longer one before encrypting', () => {
    expect(padText('label', 'x').length).toBe(LABEL_SIZE);
    expect(padText('label', '\u{1F600}'.repeat(100)).length).toBe(LABEL_SIZE); // the longest: 100 four-byte characters
    expect(() => padText('label', 'x'.repeat(101))).toThrow(TextTooLongError);
    expect(() => padText('reply', 'a\u0000b')).toThrow(/zero character/);
  });
});
