import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { request } from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { killableServer, type KillableServer } from '../helpers/killable-server.ts';
import { registerApiSource } from '../helpers/sources.ts';
import { SourcePage } from './crash-clients.ts';

// SIGTERM (systemd's stop, docker stop): requests in flight get the grace to finish, then are cut;
// the database is closed with nothing left in its journal, the lock released; a second server on
// the same directory is refused while one runs.
const GRACE_S = 2;
// The secret a page makes for its upload (the server keeps its hash): the same one for every upload here.
const SECRET = randomBytes(32).toString('hex');
let server: KillableServer;
let page: SourcePage;
let part: Uint8Array;
let desk: PublicKey;

beforeAll(async () => {
  const pair = await generateKeyPair({ name: 'Stop desk' });
  server = await killableServer(pair.publicKey, { SEALDROP_STOP_SECONDS: String(GRACE_S), SEALDROP_MIN_FREE_MIB: '0' });
  await server.start();
  const salt = ((await (await fetch(`${server.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  page = new SourcePage(server.sourceUrl, (await deriveSourceSecrets((await registerApiSource(server.sourceUrl)).codename, salt)).loginSecret);
  desk = (await readJournalistKey(pair.publicKey)).key;
  part = (await sealed('0'.repeat(32))).part;
}, 60_000);
afterAll(async () => {
  await server?.cleanup();
});

/** A one-part item sealed for the submission `id`: its part and its manifest. */
async function sealed(id: string): Promise<{ part: Uint8Array; manifest: Uint8Array }> {
  const sealer = new SubmissionSealer({ submission: id, name: 'x', type: 'application/octet-stream', recipients: [desk], partSize: 65536 });
  let one: Uint8Array | undefined;
  for await (const p of sealFile(sealer, 1000, async (s, e) => new Uint8Array(e - s))) one = p;
  return { part: one!, manifest: await sealer.sealManifest() };
}

type Slow = { inFlight: Promise<void>; status: Promise<number | 'cut'> };

/**
 * An upload whose body is sent in two halves, `pauseMs` apart. `inFlight` resolves once the
 * server has the request (its 100 Continue answers the headers), so a stop is sent after that
 * event, not after a guessed delay; `status` resolves with the status or 'cut'.
 */
function slowUpload(method: string, route: string, extra: Record<string, string>, body: Uint8Array, pauseMs: number): Slow {
  let inFlight!: () => void;
  const accepted = new Promise<void>((r) => (inFlight = r));
  const status = new Promise<number | 'cut'>((resolve) => {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': body.length, 'x-source-token': page.token, expect: '100-continue', ...extra };
    const req = request(new URL(`${server.sourceUrl}${route}`), { method, headers }, (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', () => resolve('cut'));
    req.once('continue', () => {
      req.write(body.subarray(0, 100), () => inFlight());
      setTimeout(() => req.end(body.subarray(100)), pauseMs);
    });
    req.flushHeaders();
  });
  return { inFlight: accepted, status };
}

const slowPart = (id: string, pauseMs: number): Slow => slowUpload('PUT', `/api/submissions/${id}/parts/1`, { 'x-upload-secret': SECRET }, part, pauseMs);

/** The page's folded send of a one-part item (POST /api/sends/1: head, part and manifest), opening and completing it in one request. */
async function slowFolded(secret: string, pauseMs: number): Promise<Slow> {
  await page.login();
  const item = await sealed(sendIdOf(secret));
  const pieces = [Buffer.from(JSON.stringify({ parts: 1 })), Buffer.from(item.part), Buffer.from(item.manifest)];
  return slowUpload('POST', '/api/sends/1', { 'x-upload-secret': secret, 'x-send-lengths': pieces.map((p) => p.length).join(',') }, Buffer.concat(pieces), pauseMs);
}
const held = async (secret: string) => {
  const res = await fetch(`${server.sourceUrl}/api/sends`, { headers: { 'x-upload-secret': secret } });
  return { status: res.status, body: (await res.json()) as unknown };
};

async function reserve(): Promise<string> {
  await page.login();
  const res = await fetch(`${server.sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': page.token }, body: JSON.stringify({ parts: 1, secret: SECRET }) });
  return ((await res.json()) as { submission: string }).submission;
}

const lockFile = () => path.join(server.dataDir, 'sealdrop.lock');
const logLines = () => server.output().split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);

test('a second server on the same data directory is refused clearly while one runs', async () => {
  const second = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env: { ...process.env, ...server.env, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  second.stderr.on('data', (d) => (err += d));
  const code = await new Promise((r) => second.once('exit', r));
  expect(code).toBe(1);
  expect(err).toMatch(/Another Sealdrop server is using .*; stop it first/);
  expect((await fetch(`${server.sourceUrl}/api/config`)).status).toBe(200); // the first one is untouched
});

test('SIGTERM lets a request that finishes within the grace complete, then stops cleanly', async () => {
  const id = await reserve();
  const upload = slowPart(id, 500);
  await upload.inFlight;
  const stopped = await server.stop('SIGTERM');
  expect(await upload.status).toBe(204);
  expect(stopped.code).toBe(0);
  console.log(`stop with a request finishing within the grace: ${Math.round(stopped.ms)} ms`);
  expect(stopped.ms).toBeLessThan(GRACE_S * 1000 + 1500);
  expect(logLines().map((l) => l.event)).toEqual(expect.arrayContaining(['stopping', 'stopped']));
  expect(logLines().find((l) => l.event === 'stopped')).toMatchObject({ requestsCut: 0 });
  expect(existsSync(lockFile())).toBe(false);
  const db = new Database(path.join(server.dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    expect(db.prepare('SELECT COUNT(*) AS c FROM parts WHERE submission_id = ?').get(id)).toEqual({ c: 1 });
  } finally {
    db.close();
  }
  // Nothing left half-written: the rollback journal is empty (or gone) once the database is closed.
  const journal = path.join(server.dataDir, 'sealdrop.sqlite-journal');
  expect(existsSync(journal) ? statSync(journal).size : 0).toBe(0);
});

test('a request still arriving when the grace runs out is cut, stores nothing, and the stop stays within its bound', async () => {
  await server.start();
  const id = await reserve();
  const upload = slowPart(id, 60_000); // a sender far slower than the grace
  await upload.inFlight;
  const stopped = await server.stop('SIGTERM');
  expect(await upload.status).toBe('cut');
  expect(stopped.code).toBe(0);
  console.log(`stop with a request outlasting the grace: ${Math.round(stopped.ms)} ms`);
  expect(stopped.ms).toBeGreaterThanOrEqual(GRACE_S * 1000 - 100);
  expect(stopped.ms).toBeLessThan(GRACE_S * 1000 + 1500);
  expect(logLines().find((l) => l.event === 'stopped')).toMatchObject({ requestsCut: 1 });
  expect(existsSync(lockFile())).toBe(false);
  await server.start(); // starts at once: the lock was released
  await page.login();
  const received = await fetch(`${server.sourceUrl}/api/submissions/${id}`, { headers: { 'x-source-token': page.token, 'x-upload-secret': SECRET } });
  expect(await received.json()).toEqual({ manifest: false, parts: [] });
});

// The same two stops for the route the page uses (POST /api/sends): one folded request opens, stores and completes an item.
test('SIGTERM lets a folded send that finishes within the grace store and complete its item', async () => {
  if ((await fetch(`${server.sourceUrl}/api/config`).catch(() => null))?.status !== 200) await server.start();
  const secret = randomBytes(32).toString('hex');
  const upload = await slowFolded(secret, 500);
  await upload.inFlight;
  const stopped = await server.stop('SIGTERM');
  expect(await upload.status).toBe(200);
  expect(stopped.code).toBe(0);
  expect(logLines().find((l) => l.event === 'stopped')).toMatchObject({ requestsCut: 0 });
  const db = new Database(path.join(server.dataDir, 'sealdrop.sqlite'), { readonly: true });
  try {
    expect(db.prepare('SELECT state FROM submissions WHERE id = ?').get(sendIdOf(secret))).toEqual({ state: 'complete' });
    expect(db.prepare('SELECT COUNT(*) AS c FROM parts WHERE submission_id = ?').get(sendIdOf(secret))).toEqual({ c: 1 });
  } finally {
    db.close();
  }
  await server.start();
  expect(await held(secret)).toEqual({ status: 200, body: { done: true } });
});

test('a folded send still arriving when the grace runs out is cut, and opens nothing', async () => {
  const secret = randomBytes(32).toString('hex');
  const upload = await slowFolded(secret, 60_000);
  await upload.inFlight;
  const stopped = await server.stop('SIGTERM');
  expect(await upload.status).toBe('cut');
  expect(stopped.code).toBe(0);
  expect(stopped.ms).toBeLessThan(GRACE_S * 1000 + 1500);
  expect(logLines().find((l) => l.event === 'stopped')).toMatchObject({ requestsCut: 1 });
  await server.start();
  // Nothing opened: the page, asking, is told to send it all again.
  expect((await held(secret)).status).toBe(404);
});
