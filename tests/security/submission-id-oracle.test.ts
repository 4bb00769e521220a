import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, readJournalistKey, type PublicKey } from '../../common/envelope/index.ts';
import { findBytes } from '../helpers/byte-search.ts';
import { daysBefore, today } from '../../server/store/day.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { newSource } from '../helpers/sources.ts';

// Threat: a submission id is known to far more people than the source who made it (every journalist
// sees it in the inbox; it names a folder of every export and a row of every backup). Until now
// `GET /api/submissions/<id>` needed no session and answered `{"complete":true}` long after the
// upload was over: anyone holding an id could ask the live drop what it still held. Now a pending
// upload answers only to the secret its page made (sent in X-Upload-Secret, kept only as a hash),
// and anything else (a completed upload, one made without JavaScript, no or a wrong secret) gets
// exactly the answer an id that never existed gets: same status, body and headers, after the same
// database work.
let instance: Instance;
let journalist: PublicKey;
let sourceId: string;

beforeAll(async () => {
  instance = await startInstance();
  const pair = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', pair.publicKey);
  journalist = (await readJournalistKey(pair.publicKey)).key;
  sourceId = newSource(instance.store).id;
});
afterAll(() => instance?.stop());

const newSecret = () => randomBytes(32).toString('hex');
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
const sealed = (n: number) => encryptObject({ data: new Uint8Array(n), recipients: [journalist] });

type Answer = { status: number; body: string; headers: Record<string, string> };
type Probe = 'received' | 'part' | 'manifest' | 'complete';
const PROBES: Probe[] = ['received', 'part', 'manifest', 'complete'];

/** One request on an upload, as the page makes it, with the secret it is given (or none). */
async function ask(probe: Probe, id: string, secret: string | null): Promise<Answer> {
  const body = probe === 'part' || probe === 'manifest' ? ((await sealed(10)) as BodyInit) : undefined;
  const path = { received: '', part: '/parts/1', manifest: '/manifest', complete: '/complete' }[probe];
  const res = await fetch(`${instance.sourceUrl}/api/submissions/${id}${path}`, {
    method: { received: 'GET', part: 'PUT', manifest: 'PUT', complete: 'POST' }[probe],
    headers: { ...(body ? { 'content-type': 'application/octet-stream' } : {}), ...(secret === null ? {} : { 'x-upload-secret': secret }) },
    body,
  });
  const headers = Object.fromEntries([...res.headers].filter(([name]) => name !== 'date'));
  return { status: res.status, body: await res.text(), headers };
}

/** Every SQL statement the store prepares while `run` runs (the real database, only watched). */
async function statements<T>(run: () => Promise<T>): Promise<{ result: T; sql: string[] }> {
  const sql: string[] = [];
  const prepare = Database.prototype.prepare;
  Database.prototype.prepare = function (this: Database.Database, source: string) {
    sql.push(source);
    return prepare.call(this, source);
  } as typeof prepare;
  try {
    return { result: await run(), sql };
  } finally {
    Database.prototype.prepare = prepare;
  }
}

/** A pending JS upload made as the page makes one; the id is what a journalist or a backup would show. */
function pendingUpload(secret = newSecret()): { id: string; secret: string } {
  return { id: instance.store.submissions.create(sourceId, 1, { secret }), secret };
}

async function completedUpload(): Promise<{ id: string; secret: string }> {
  const upload = pendingUpload();
  await instance.store.submissions.putPart(upload.id, 1, await sealed(100));
  await instance.store.submissions.putManifest(upload.id, await sealed(100));
  instance.store.submissions.complete(upload.id);
  return upload;
}

const unknownId = () => randomBytes(16).toString('hex');

/** A source with a session, as after a codename login with JavaScript (one hash lookup: no key is made). */
async function loggedIn(): Promise<{ id: string; token: string }> {
  const { id, loginSecret } = newSource(instance.store);
  const res = await fetch(`${instance.sourceUrl}/api/sources/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ login: loginSecret }) });
  return { id, token: ((await res.json()) as { sourceToken: string }).sourceToken };
}

/** Asks every route about `id` and about an id that never existed: the answers and the database work must be identical. */
async function expectLikeUnknown(id: string, secret: string | null): Promise<void> {
  for (const probe of PROBES) {
    const before = instance.rows();
    const known = await statements(() => ask(probe, id, secret));
    const never = await statements(() => ask(probe, unknownId(), secret));
    expect(known.result.status, probe).toBe(404);
    expect(known.result, probe).toEqual(never.result);
    expect(JSON.parse(known.result.body), probe).toMatchObject({ code: 'not_found' });
    expect(known.sql, probe).toEqual(never.sql);
    expect(known.sql.filter((q) => q.includes('FROM submissions')), probe).toHaveLength(1); // one lookup, whatever fails
    expect(instance.rows(), probe).toEqual(before);
  }
}

describe('after completion', () => {
  test('the id answers GET, PUT and POST exactly like an id that never existed, even with the secret', async () => {
    const { id, secret } = await completedUpload();
    await expectLikeUnknown(id, secret);
    await expectLikeUnknown(id, null);
    await expectLikeUnknown(id, newSecret());
  });

  test('the secret\'s hash is kept on the completed submission (a repeated folded send answers "done") until the purge two days after its day', async () => {
    const { id, secret } = await completedUpload();
    const row = () => instance.rows().submissions!.find((r) => (r as { id: string }).id === id) as Record<string, unknown>;
    expect(row().upload_hash).toBe(sha256(secret));
    await instance.store.submissions.purge(null);
    expect(row().upload_hash).toBe(sha256(secret)); // the same day's purge keeps it
    // An item completed just before midnight may still be asked about the next day (server/store/submissions.ts).
    await instance.store.submissions.purge(null, daysBefore(today(), -1));
    expect(row().upload_hash).toBe(sha256(secret));
    await instance.store.submissions.purge(null, daysBefore(today(), -2));
    expect(row().upload_hash).toBeNull();
    expect(JSON.stringify(instance.rows())).not.toContain(sha256(secret));
  });

  test('a submission sent without JavaScript never answers the upload API', async () => {
    const id = instance.store.submissions.create(sourceId, 1, { resumable: false });
    await expectLikeUnknown(id, null); // pending, as while its form is still arriving
    await instance.store.submissions.putPart(id, 1, await sealed(100));
    await instance.store.submissions.putManifest(id, await sealed(100));
    instance.store.submissions.complete(id);
    await expectLikeUnknown(id, null);
  });
});

describe('during the upload', () => {
  test('without the secret, with a wrong or a malformed one: the same 404 as an unknown id, and nothing changes', async () => {
    const { id, secret } = pendingUpload();
    await expectLikeUnknown(id, null);
    await expectLikeUnknown(id, newSecret());
    await expectLikeUnknown(id, secret.toUpperCase());
    await expectLikeUnknown(id, secret.slice(0, 63));
    await expectLikeUnknown(id, `${secret}0`);
    expect(instance.store.submissions.received(id, secret)).toEqual({ manifest: false, parts: [] });
  });

  test('with the secret, the page uploads, resumes and completes; the database holds only its hash', async () => {
    const { token } = await loggedIn();
    const secret = newSecret();
    const created = await fetch(`${instance.sourceUrl}/api/submissions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-source-token': token },
      body: JSON.stringify({ parts: 1, secret }),
    });
    expect(created.status).toBe(201);
    const { submission: id } = (await created.json()) as { submission: string };
    const held = async () => ((a) => ({ status: a.status, held: JSON.parse(a.body) as unknown }))(await ask('received', id, secret));
    expect(await held()).toEqual({ status: 200, held: { manifest: false, parts: [] } });
    expect((await ask('part', id, secret)).status).toBe(204);
    expect((await ask('manifest', id, secret)).status).toBe(204);
    expect(await held()).toEqual({ status: 200, held: { manifest: true, parts: [1] } });

    const rows = JSON.stringify(instance.rows());
    expect(rows).not.toContain(secret);
    expect(rows).toContain(sha256(secret));
    expect(await findBytes([instance.config.dataDir], [secret])).toEqual([]);

    expect((await ask('complete', id, secret)).status).toBe(204);
    expect(instance.store.submissions.listComplete().map((s) => s.id)).toContain(id);
    await expectLikeUnknown(id, secret); // a retry after a lost answer reads as "no longer pending"
    // The hash stays on the completed row until the next day's purge (the test above): a repeated folded send answers "done".
    expect(JSON.stringify(instance.rows())).toContain(sha256(secret));
  });
});

describe('the other ids the source listener takes', () => {
  test('a reply id answers only its own source, and once deleted, like one that never existed', async () => {
    const [own, other] = [await loggedIn(), await loggedIn()];
    const reply = await instance.store.replies.add(own.id, await sealed(10));
    /** Fetches, marks read, then deletes (in that order: only a read reply may be deleted). */
    const asks = async (id: string, token: string) => {
      const answers: Answer[] = [];
      for (const [method, tail] of [['GET', ''], ['POST', '/read'], ['POST', '/delete']] as const) {
        const res = await fetch(`${instance.sourceUrl}/api/replies/${id}${tail}`, { method, headers: { 'x-source-token': token } });
        answers.push({ status: res.status, body: await res.text(), headers: Object.fromEntries([...res.headers].filter(([name]) => name !== 'date')) });
      }
      return answers;
    };
    const never = await asks(unknownId(), other.token);
    expect(never.map((a) => a.status)).toEqual([404, 404, 404]);
    expect(await asks(reply, other.token)).toEqual(never); // another source's session
    expect((await asks(reply, own.token)).map((a) => a.status)).toEqual([200, 204, 204]); // read, then deleted
    expect(await asks(reply, own.token)).toEqual(await asks(unknownId(), own.token));
  });
});
