import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource } from '../helpers/sources.ts';

// Every rejection the source API makes: a 4xx with a sentence a person can read, and nothing stored.
let instance: Instance;
let journalist: PublicKey;
let stranger: PublicKey;
let token: string;
const SMALL_PART = 64 * 1024;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(SMALL_PART), SEALDROP_MAX_FILE_BYTES: String(4 * SMALL_PART) });
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
  journalist = (await readJournalistKey(pair.publicKey)).key;
  stranger = (await readJournalistKey((await generateKeyPair({ name: 'Eve' })).publicKey)).key;
  token = (await registerApiSource(instance.sourceUrl)).token;
});
afterAll(() => instance?.stop());

// Each upload's secret, made here as the page makes it, and sent with every request on the upload.
const secrets = new Map<string, string>();
const api = (path: string, init: RequestInit = {}) => {
  const secret = secrets.get(/^\/submissions\/([0-9a-f]{32})\//.exec(`${path}/`)?.[1] ?? '');
  const headers = { ...(init.headers as Record<string, string>), ...(secret ? { 'x-upload-secret': secret } : {}) };
  return fetch(`${instance.sourceUrl}/api${path}`, { ...init, headers });
};
const withSecret = (body: Record<string, unknown>) => ({ secret: randomBytes(32).toString('hex'), ...body });
const json = (body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token, ...headers }, body: JSON.stringify(body),
});
const octets = (body: Uint8Array, method = 'PUT'): RequestInit => ({ method, headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });

async function create(parts: number): Promise<string> {
  const body = withSecret({ parts });
  const res = await api('/submissions', json(body));
  expect(res.status).toBe(201);
  const id = ((await res.json()) as { submission: string }).submission;
  secrets.set(id, body.secret);
  return id;
}

/** What a seized server would hold: the stored objects and every row. */
async function snapshot(): Promise<unknown> {
  return { objects: await instance.objectFiles(), rows: instance.rows() };
}

/** A refusal: its status, a sentence for the person, and (when given) the stable code programs react to. */
async function expectRefused(res: Response, status: number, pattern: RegExp, code?: string): Promise<void> {
  expect(res.status).toBe(status);
  const body = (await res.json()) as { error: string; code: string };
  expect(body.error).toMatch(pattern);
  expect(body.code).toMatch(/^[a-z]+(_[a-z]+)*$/);
  if (code) expect(body.code).toBe(code);
}

describe('a well-behaved upload', () => {
  test('parts, manifest, complete: then the submission is visible, and only then', async () => {
    const id = await create(2);
    const sealer = new SubmissionSealer({ submission: id, name: 'a.txt', type: 'text/plain', recipients: [journalist], partSize: SMALL_PART });
    expect((await api(`/submissions/${id}/parts/1`, octets(await sealer.sealPart(new Uint8Array(SMALL_PART))))).status).toBe(204);
    await expectRefused(await api(`/submissions/${id}/complete`, { method: 'POST' }), 409, /not arrived/, 'incomplete_submission');
    const end = sealer.sealEnd(new Uint8Array(5)); // the last bytes and their padding: one more part here
    expect((await api(`/submissions/${id}/parts/2`, octets((await end.next()).value!))).status).toBe(204);
    expect((await end.next()).done).toBe(true);
    expect((await api(`/submissions/${id}/manifest`, octets(await sealer.sealManifest()))).status).toBe(204);
    expect(instance.store.submissions.listComplete().map((s) => s.id)).not.toContain(id);
    expect((await api(`/submissions/${id}/complete`, { method: 'POST' })).status).toBe(204);
    expect(instance.store.submissions.listComplete().map((s) => s.id)).toContain(id);
    // A completed submission is immutable, and answers even its page like an unknown id (tests/security/submission-id-oracle.test.ts).
    await expectRefused(await api(`/submissions/${id}/parts/1`, octets(await encryptObject({ data: new Uint8Array(1), recipients: [journalist] }))), 404, /no longer on the server/, 'not_found');
  });

  test('a retried part replaces the earlier copy instead of piling up', async () => {
    const id = await create(1);
    const before = (await instance.objectFiles()).length;
    const part = await encryptObject({ data: new Uint8Array(10), recipients: [journalist] });
    await api(`/submissions/${id}/parts/1`, octets(part));
    await api(`/submissions/${id}/parts/1`, octets(part));
    expect((await instance.objectFiles()).length).toBe(before + 1);
  });
});

describe('refusals change nothing', () => {
  let id: string;
  let before: unknown;
  beforeAll(async () => {
    id = await create(2);
  });
  const expectUnchanged = async () => expect(await snapshot()).toEqual(before);

  test.each([
    ['plaintext', () => new TextEncoder().encode('Dear editor, here is the ledger.'), 400, /not an encrypted OpenPGP message/, 'not_encrypted'],
    // Random bytes whose first byte lacks the packet-tag bit: random input could otherwise, rarely,
    // begin with a well-formed packet and be refused with the SEIPDv1 message instead.
    ['garbage', () => Object.assign(crypto.getRandomValues(new Uint8Array(2048)), { 0: 0x00 }), 400, /not an encrypted OpenPGP message/, 'not_encrypted'],
    ['an empty body', () => new Uint8Array(0), 400, /empty/, 'bad_request'],
  ])('%s as a part', async (_label, body, status, pattern, code) => {
    before = await snapshot();
    await expectRefused(await api(`/submissions/${id}/parts/1`, octets(body())), status, pattern, code);
    await expectUnchanged();
  });

  test('a part encrypted to the wrong keys', async () => {
    before = await snapshot();
    for (const recipients of [[stranger], [journalist, stranger]]) {
      const object = await encryptObject({ data: new Uint8Array(100), recipients });
      await expectRefused(await api(`/submissions/${id}/parts/1`, octets(object)), 409, /current journalist keys/, 'wrong_recipients');
    }
    await expectUnchanged();
  });

  test('an over-size part', async () => {
    before = await snapshot();
    const object = await encryptObject({ data: new Uint8Array(SMALL_PART + 20_000), recipients: [journalist] });
    await expectRefused(await api(`/submissions/${id}/parts/1`, octets(object)), 413, /larger than the server accepts/, 'too_large');
    await expectUnchanged();
  });

  test('an unknown or malformed submission id', async () => {
    before = await snapshot();
    const object = await encryptObject({ data: new Uint8Array(10), recipients: [journalist] });
    await expectRefused(await api(`/submissions/${'0'.repeat(32)}/parts/1`, octets(object)), 404, /no longer on the server/, 'not_found');
    await expectRefused(await api('/submissions/..%2F..%2Fetc/parts/1', octets(object)), 404, /no longer on the server/, 'not_found');
    await expectRefused(await api(`/submissions/${'0'.repeat(32)}/complete`, { method: 'POST' }), 404, /no longer on the server/, 'not_found');
    await expectUnchanged();
  });

  test('more parts than declared, and part zero', async () => {
    before = await snapshot();
    const object = await encryptObject({ data: new Uint8Array(10), recipients: [journalist] });
    await expectRefused(await api(`/submissions/${id}/parts/3`, octets(object)), 409, /declared 2 part/);
    await expectRefused(await api(`/submissions/${id}/parts/0`, octets(object)), 400, /part number/);
    await expectUnchanged();
  });

  test('a part sent as the wrong content type', async () => {
    before = await snapshot();
    const object = await encryptObject({ data: new Uint8Array(10), recipients: [journalist] });
    const res = await api(`/submissions/${id}/parts/1`, { method: 'PUT', headers: { 'content-type': 'text/plain' }, body: object as BodyInit });
    await expectRefused(res, 415, /application\/octet-stream/, 'unsupported_media_type');
    await expectUnchanged();
  });

  test.each([
    ['zero parts', { parts: 0 }, 400, /"parts"/],
    ['too many parts', { parts: 5 }, 400, /"parts"/],
    ['a fractional count', { parts: 1.5 }, 400, /"parts"/],
    ['a string', { parts: '2' }, 400, /"parts"/],
    ['an unknown field', { parts: 1, name: 'secret.pdf' }, 400, /Unknown field "name"/],
    ['a short secret', { parts: 1, secret: 'ab'.repeat(16) }, 400, /cannot read this request/],
    ['a secret in capitals', { parts: 1, secret: 'AB'.repeat(32) }, 400, /cannot read this request/],
    ['no secret', { parts: 1, secret: undefined }, 400, /cannot read this request/],
  ])('creating a submission with %s', async (_label, body, status, pattern) => {
    before = await snapshot();
    await expectRefused(await api('/submissions', json(withSecret(body))), status, pattern);
    await expectUnchanged();
  });

  test('invalid JSON, and JSON under another content type', async () => {
    await expectRefused(await api('/submissions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{parts:' }), 400, /not valid JSON/, 'bad_json');
    await expectRefused(await api('/submissions', { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{"parts":1}' }), 415, /JSON/);
  });

  test('an unknown or missing source session', async () => {
    await expectRefused(await api('/submissions', json(withSecret({ parts: 1 }), { 'x-source-token': 'forged' })), 401, /Log in again with your codename/, 'unauthorized');
    const res = await api('/submissions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(withSecret({ parts: 1 })) });
    await expectRefused(res, 401, /You have been logged out/);
  });

  test('a cross-site request', async () => {
    await expectRefused(await api('/submissions', json({ parts: 1 }, { 'sec-fetch-site': 'cross-site' })), 403, /Cross-site/, 'forbidden');
  });
});

describe('with no journalist', () => {
  test('the page says submissions are not open and the API refuses', async () => {
    const empty = await startInstance();
    try {
      const page = await (await fetch(`${empty.sourceUrl}/`)).text();
      expect(page).toContain('Submissions are not open yet');
      expect(page).not.toContain('<form');
      const res = await fetch(`${empty.sourceUrl}/api/submissions`, json(withSecret({ parts: 1 })));
      expect(res.status).toBe(503);
      const body = (await res.json()) as { error: string; code: string };
      expect(body.error).toMatch(/not open/);
      expect(body.code).toBe('not_open');
    } finally {
      await empty.stop();
    }
  });
});
