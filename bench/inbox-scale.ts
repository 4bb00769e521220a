// inbox_scale: a data directory made by the project's own store code with 10,000 conversations and
// 100,000 items, served by the real server in its own process; the list's first page and one
// conversation of 200 items are timed through the journalist app with a logged-in session.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { generateKeyPair, readJournalistKey } from '../common/envelope/index.ts';
import { hashPassphrase } from '../server/auth/passwords.ts';
import { currentStep, newTotpSecret, totpCode } from '../server/auth/totp.ts';
import type { BlobStore } from '../server/store/blobs.ts';
import { openDb } from '../server/store/db.ts';
import { openStore } from '../server/store/index.ts';
import { accessRepo } from '../server/store/access.ts';
import { inboxRepo } from '../server/store/inbox.ts';
import { replyRepo } from '../server/store/replies.ts';
import { sourceRepo } from '../server/store/sources.ts';
import { submissionRepo } from '../server/store/submissions.ts';
import { rssMiB } from '../tests/helpers/load.ts';
import { statCpuS } from './measure.ts';
import { until } from '../tests/helpers/pages.ts';
import { freePort } from '../tests/helpers/ports.ts';
import { SOURCE_KEY } from '../tests/helpers/sources.ts';
import { StaffClient } from '../tests/helpers/staff-client.ts';

const CONVERSATIONS = Number(process.env.BENCH_INBOX_CONVERSATIONS ?? 10_000);
const ITEMS = Number(process.env.BENCH_INBOX_ITEMS ?? 100_000);
const BIG = 200; // the conversation opened
const RUNS = 50;

/**
 * Stand-in objects: a few bytes each, written without the store's fsyncs (the list and the
 * conversation page never read them), so 200,000 of them take seconds, not an hour.
 */
function standInBlobs(dir: string): BlobStore {
  const never = () => Promise.reject(new Error('stand-in objects are never read'));
  return {
    async put(data) {
      const name = randomBytes(16).toString('hex');
      await writeFile(path.join(dir, name), data, { mode: 0o600 });
      return name;
    },
    read: never,
    readPrefix: never,
    stream: () => {
      throw new Error('stand-in objects are never read');
    },
    delete: async () => undefined,
    list: async () => [],
  };
}

/** Items per conversation: one of BIG, the rest as even as the total allows (each at least one). */
function itemCounts(): number[] {
  const rest = CONVERSATIONS - 1;
  const base = Math.floor((ITEMS - BIG) / rest);
  let extra = ITEMS - BIG - base * rest;
  return [BIG, ...Array.from({ length: rest }, () => base + (extra-- > 0 ? 1 : 0))];
}

/** Sources, complete submissions (a part and a manifest each), some replies, stars, done and read marks: one transaction. */
async function fill(dataDir: string, journalistId: number): Promise<string> {
  const objects = path.join(dataDir, 'objects');
  await mkdir(objects, { recursive: true, mode: 0o700 });
  const db = openDb(path.join(dataDir, 'sealdrop.sqlite'));
  const blobs = standInBlobs(objects);
  const [sources, submissions, replies, inbox] = [sourceRepo(db), submissionRepo(db, blobs), replyRepo(db, blobs), inboxRepo(db, blobs, accessRepo(db))];
  const part = new Uint8Array(64);
  let big = '';
  // One outer transaction held across the object writes; each repository's own transaction nests in it as a savepoint.
  db.exec('BEGIN');
  for (const [i, count] of itemCounts().entries()) {
    const s = sources.create({ loginSecret: randomBytes(32).toString('hex'), ...SOURCE_KEY, privateKey: 'stand-in' });
    if (i === 0) big = s.id;
    const ids = Array.from({ length: count }, () => submissions.create(s.id, 1));
    // A conversation's objects are written side by side; each row change is synchronous, so the savepoints never interleave.
    await Promise.all(ids.map(async (id) => (await submissions.putPart(id, 1, part), await submissions.putManifest(id, part))));
    ids.forEach((id, n) => {
      submissions.complete(id);
      if (i % 2 === 0 && n % 3 === 0) inbox.markSeen(id, journalistId);
    });
    if (i % 10 === 0) await replies.add(s.id, part, journalistId);
    if (i % 20 === 0) sources.setStarred(s.id, true);
    if (i % 10 === 5) sources.setDone(s.id, true);
  }
  db.exec('COMMIT');
  db.close();
  return big;
}

/** The server process's CPU time so far (user + system, ms; the kernel counts in 10 ms ticks). */
const cpuMs = (pid: number) => statCpuS(readFileSync(`/proc/${pid}/stat`, 'utf8')) * 1000;

const p95 = (ms: number[]) => [...ms].sort((a, b) => a - b)[Math.ceil(ms.length * 0.95) - 1]!;

/**
 * Wall time at the client over loopback (p95 of RUNS), and the server's CPU time per request: on a
 * machine shared with other work the wall time includes waiting for a core, the CPU time does not.
 */
async function timed(staff: StaffClient, url: string, pid: number): Promise<{ p95Ms: number; cpuMs: number; bytes: number; status: number }> {
  const ms: number[] = [];
  let cpu = 0;
  let bytes = 0;
  let status = 0;
  for (let i = 0; i < RUNS + 3; i++) {
    const t = performance.now();
    const res = await staff.get(url);
    const body = await res.arrayBuffer();
    if (i === 2) cpu = cpuMs(pid);
    if (i >= 3) ms.push(performance.now() - t); // the first three warm the caches
    [bytes, status] = [body.byteLength, res.status];
  }
  return { p95Ms: +p95(ms).toFixed(1), cpuMs: +((cpuMs(pid) - cpu) / RUNS).toFixed(1), bytes, status };
}

/**
 * The list's first page right after a change (a star set or cleared, not timed): the order kept
 * between pages is dropped by any change, so this is the page sorted from scratch.
 */
async function afterChange(staff: StaffClient, sourceId: string): Promise<{ p95Ms: number }> {
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const star = await staff.post(`/sources/${sourceId}/star`, { csrf: staff.csrf, starred: i % 2 ? '0' : '1', return: '/' });
    if (star.status !== 303) throw new Error(`star: ${star.status}`);
    const t = performance.now();
    await (await staff.get('/')).arrayBuffer();
    ms.push(performance.now() - t);
  }
  return { p95Ms: +p95(ms).toFixed(1) };
}

export async function benchInboxScale(): Promise<void> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-inbox-scale-'));
  const dataDir = path.join(root, 'data');
  const passphrase = 'scale desk walks past seven harbours';
  const totp = newTotpSecret();
  const store = openStore(dataDir);
  const key = await readJournalistKey((await generateKeyPair({ name: 'Scale desk' })).publicKey);
  const jo = store.journalists.add({ username: 'jo', fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
  store.journalists.setCredentials(jo.id, { passwordHash: await hashPassphrase(passphrase), totpSecret: totp });
  store.close();
  let t = performance.now();
  const big = await fill(dataDir, jo.id);
  const fillSeconds = (performance.now() - t) / 1000;

  const [sourcePort, journalistPort] = [await freePort(), await freePort()];
  const env = { ...process.env, SEALDROP_DATA: dataDir, SEALDROP_SOURCE_PORT: String(sourcePort), SEALDROP_JOURNALIST_PORT: String(journalistPort), SEALDROP_MIN_FREE_MIB: '0' };
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  try {
    t = performance.now();
    await until(() => /source interface:\s+http/.test(out) || child.exitCode !== null, 120_000, 'the server to start');
    const startSeconds = (performance.now() - t) / 1000;
    const staff = new StaffClient(`http://127.0.0.1:${journalistPort}`);
    const login = await staff.login('jo', passphrase, totpCode(totp, currentStep()));
    if (login.status !== 303) throw new Error(`journalist login failed: ${login.status}`);
    const rssBefore = rssMiB(child.pid!);
    const pid = child.pid!;
    const list = await timed(staff, '/', pid);
    const unread = await timed(staff, '/?filter=unread&page=100', pid);
    const conversation = await timed(staff, `/conversations/${big}`, pid);
    const changed = await afterChange(staff, big);
    console.log(JSON.stringify({
      name: 'inbox_scale',
      conversations: CONVERSATIONS,
      items: ITEMS,
      fillSeconds: +fillSeconds.toFixed(1),
      serverStartSeconds: +startSeconds.toFixed(1),
      listFirstPageP95Ms: list.p95Ms,
      listFirstPageServerCpuMs: list.cpuMs,
      listFirstPageHtmlKB: +(list.bytes / 1000).toFixed(1),
      listFirstPageAfterChangeP95Ms: changed.p95Ms,
      listUnreadPage100P95Ms: unread.status === 200 ? unread.p95Ms : `status ${unread.status}`,
      listUnreadPage100ServerCpuMs: unread.cpuMs,
      conversation200ItemsP95Ms: conversation.status === 200 ? conversation.p95Ms : `missing (status ${conversation.status})`,
      conversation200ItemsServerCpuMs: conversation.cpuMs,
      conversation200ItemsHtmlKB: +(conversation.bytes / 1000).toFixed(1),
      serverRssMiB: { before: rssBefore, after: rssMiB(child.pid!) },
      runs: RUNS,
      loadAverage: os.loadavg()[0]!.toFixed(1),
      target: 'list p95 <= 150 ms (kept order and after a change), HTML < 200 KB, conversation p95 <= 300 ms',
    }));
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('close', r));
    await rm(root, { recursive: true, force: true });
  }
}
