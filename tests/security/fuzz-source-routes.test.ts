import fc from 'fast-check';
import http from 'node:http';
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { encryptObject, generateKeyPair, partCountFor, readJournalistKey, SubmissionSealer } from '../../common/envelope/index.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { bzip2Bomb, concat, nestedZlibBomb } from '../helpers/packets.ts';
import { registerApiSource } from '../helpers/sources.ts';
import Database from 'better-sqlite3';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { anyJson, casesFor, latin1, plainCase, real, type Case, type Thunk } from '../helpers/source-requests.ts';
import { asked, codeOf, refusalKey, refusals, TAGS, unescapeHtml, type Refusals } from '../helpers/answer-language.ts';
import { routeOf, routesOf, type SourceRoute } from '../helpers/source-routes.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { EFF_LARGE_WORDLIST } from '../../common/wordlist.ts';
import { createSourceApp } from '../../server/source-app.ts';
import { PUBLIC_DIR } from '../../server/http/static.ts';

// Threat: every source-facing route takes hostile input. Whatever method, path, headers and body
// arrive: no 5xx, the server stays up, each refusal is a clear 4xx (JSON {error} under /api/, an
// HTML page elsewhere, always with the CSP header), answered in bounded time, storing nothing.
// And in the language the request asked for, however it asked (README "In the source's own
// language"): a switch link is a redirect that sets the cookie, a refusal is one of that
// language's refusal messages, never English shown to a Uyghur reader.
// A bound on each case, generous for a loaded 2-core CI machine (alone, cases take milliseconds).
const CASE_MS = 10_000;
const PART = 64 * 1024;
// Generated requests through every route: with a plain one per route and language and the tests below, 3,252 requests in all.
const RUNS = 3000;
let instance: Instance;
let port: number;
let found: SourceRoute[];
let cases: fc.Arbitrary<Thunk<Case>>;
let said: Refusals;
let files: string[];
let db: Database.Database;

beforeAll(async () => {
  instance = await startInstance({ SEALDROP_PART_SIZE: String(PART), SEALDROP_MAX_FILE_BYTES: String(16 * PART) });
  port = Number(new URL(instance.sourceUrl).port);
  const journalist = await generateKeyPair({ name: 'Jo' });
  await instance.addJournalist('jo', journalist.publicKey);
  Object.assign(real, await registerApiSource(instance.sourceUrl));
  const key = (await readJournalistKey(journalist.publicKey)).key;
  real.uploadSecret = 'f00d'.repeat(16);
  const res = await fetch(`${instance.sourceUrl}/api/submissions`, {
    method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': real.token }, body: JSON.stringify({ parts: partCountFor(5, PART), secret: real.uploadSecret }),
  });
  real.submission = ((await res.json()) as { submission: string }).submission;
  const sealer = new SubmissionSealer({ submission: real.submission, name: 'a.txt', type: 'text/plain', recipients: [key], partSize: PART });
  for await (const part of sealer.sealEnd(new Uint8Array(5))) real.objects.push(part);
  real.objects.push(await sealer.sealManifest(), nestedZlibBomb(64 << 20), await bzip2Bomb(64 << 20));
  real.objects.push(concat(real.objects[0]!, new Uint8Array([0xca, 3, 1, 2, 3])));
  // A reply as a journalist makes one: to the source's key and the journalist's.
  const source = (instance.rows().sources as { id: string; public_key: string }[])[0]!;
  const sourceKey = (await readJournalistKey(source.public_key)).key;
  real.reply = await instance.store.replies.add(source.id, await encryptObject({ data: new Uint8Array(10), recipients: [sourceKey, key] }));
  const pair = await generateKeyPair({ name: 'Sealdrop source', passphrase: 'p'.repeat(64) });
  real.registration = JSON.stringify({ login: 'f'.repeat(64), publicKey: pair.publicKey, privateKey: pair.privateKey });
  // The routes as the app itself holds them (an app like the running one, only read), and the files it serves.
  found = routesOf(createSourceApp({ config: instance.config, store: instance.store }));
  files = readdirSync(PUBLIC_DIR, { recursive: true, withFileTypes: true }).filter((f) => f.isFile()).map((f) => path.relative(PUBLIC_DIR, path.join(f.parentPath, f.name)));
  cases = casesFor(found, files);
  said = refusals();
  db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'), { readonly: true });
});
afterAll(async () => {
  db?.close();
  await instance?.stop();
});

type Answer = { status: number; headers: http.IncomingHttpHeaders; body: string };

function send(c: Case): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: c.method, path: c.path, headers: c.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (b: Buffer) => chunks.push(b));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', (error) => reject(new Error(`${show(c)}: ${String(error)}`)));
    req.setTimeout(CASE_MS, () => req.destroy(new Error(`no answer in ${CASE_MS} ms`)));
    req.end(c.body);
  });
}

const show = (c: Case) => `${c.method} ${c.path.slice(0, 120)} ${JSON.stringify(c.headers).slice(0, 300)} body ${c.body.length} bytes`;
const label = (c: Case, a: Answer) => {
  const { 'content-security-policy': _, ...headers } = a.headers;
  return `${show(c)} -> ${a.status} ${JSON.stringify(headers).slice(0, 400)} ${a.body.slice(Math.max(0, a.body.indexOf('<main>')), 600)}`;
};

let seen: { version: number; objects: string; state: string } | undefined;

/**
 * Every row of every table and the object files. The rows are read again only when SQLite says
 * another connection committed since (PRAGMA data_version), so most cases cost a directory listing.
 */
async function snapshot(): Promise<string> {
  const version = db.pragma('data_version', { simple: true }) as number;
  const objects = JSON.stringify(await instance.objectFiles());
  if (seen && seen.version === version && seen.objects === objects) return seen.state;
  const state = await fullSnapshot();
  seen = { version, objects, state };
  return state;
}

async function fullSnapshot(): Promise<string> {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((t) => t.name);
  const rows = Object.fromEntries(tables.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).all()]));
  return JSON.stringify({ objects: await instance.objectFiles(), rows });
}

/** The stored state once no write is in flight (an accepted upload of an earlier case may still be storing). */
async function quiet(): Promise<string> {
  const until = performance.now() + CASE_MS;
  let now = await snapshot();
  while (now.includes('.tmp-') && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    now = await snapshot();
  }
  return now;
}

/** The stored state once it is back to `expected`, or as it stands after CASE_MS. */
async function settled(expected: string): Promise<string> {
  const until = performance.now() + CASE_MS;
  let now = await snapshot();
  while (now !== expected && performance.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    now = await snapshot();
  }
  return now;
}

const languageCookies = (a: Answer) => ([] as string[]).concat(a.headers['set-cookie'] ?? []).filter((c) => c.startsWith('sealdrop-lang='));
const isText = (a: Answer) => /^(?:text\/html|application\/json)\b/.test(String(a.headers['content-type']));

/** Node's own HTTP parser refuses bytes that are no HTTP (a raw non-ASCII path) or a head over 16 KiB with a bodiless 400 or 431, before any middleware runs: nothing to render, so nothing for a CSP to govern. */
const parserRefusal = (a: Answer) => (a.status === 400 || a.status === 431) && a.body === '' && a.headers['content-security-policy'] === undefined && a.headers.connection === 'close';

/** The language an answer is in, checked against what the request asked for. */
function checkLanguage(c: Case, a: Answer, want: ReturnType<typeof asked>): void {
  const cookies = languageCookies(a);
  if (want.switched) {
    // The switch: a redirect to the same address without lang, the choice in a session cookie only.
    expect(a.status, label(c, a)).toBe(303);
    expect(a.headers.location, label(c, a)).toMatch(/^\.\/[^/]*$|^\.\/[^/?]*\?/);
    expect(a.headers.location?.split('?')[1] ?? '', label(c, a)).not.toMatch(/(^|&)lang=/);
    expect(cookies, label(c, a)).toEqual(want.setsCookie ? [`sealdrop-lang=${codeOf(want.lang)}; Path=/; HttpOnly; SameSite=Lax`] : []);
    expect(a.headers['content-language'], label(c, a)).toBeUndefined();
    return;
  }
  if (!isText(a) || a.status === 204 || (a.status >= 300 && a.status < 400)) {
    // A file, a logo, a reply's ciphertext or an empty answer is the same in every language: no language header says it.
    expect(a.headers['content-language'], label(c, a)).toBeUndefined();
    expect(cookies, label(c, a)).toEqual([]);
    return;
  }
  expect(a.headers['content-language'], label(c, a)).toBe(want.lang);
  expect(cookies, label(c, a)).toEqual(want.setsCookie ? [`sealdrop-lang=${codeOf(want.lang)}; Path=/; HttpOnly; SameSite=Lax`] : []);
  if (c.method === 'HEAD') return;
  if (String(a.headers['content-type']).startsWith('text/html')) expect(a.body, label(c, a)).toMatch(new RegExp(`^<!doctype html>\n<html lang="${want.lang}" dir="(ltr|rtl)">`));
}

/** The refusal's words: one of the catalog's refusal messages in the asked language (and an error page's title, one of its titles). */
function refusalText(c: Case, a: Answer, lang: string): string {
  if (c.path.split('?')[0]!.startsWith('/api/')) {
    expect(String(a.headers['content-type']), label(c, a)).toContain('application/json');
    const { error, code } = JSON.parse(a.body) as { error?: unknown; code?: unknown };
    expect(code, label(c, a)).toMatch(/^[a-z_]+$/);
    return String(error);
  }
  expect(String(a.headers['content-type']), label(c, a)).toContain('text/html');
  // A form shown again with its warning (the login page), or an error page titled as one.
  const warning = /<p class="warning" role="alert">([^<]*)<\/p>/.exec(a.body)?.[1];
  if (warning !== undefined) return unescapeHtml(warning);
  const [, title = '', message = ''] = /<h1>([^<]*)<\/h1>\n<p>([^<]*)<\/p>/.exec(a.body) ?? [];
  expect(said.titles.get(lang), label(c, a)).toContain(unescapeHtml(title));
  return unescapeHtml(message);
}

/** What every answer must look like, whatever was asked; the refusal's catalog key, if it is one. */
function checkAnswer(c: Case, a: Answer): string | undefined {
  expect(a.status, label(c, a)).toBeLessThan(500);
  if (parserRefusal(a)) return undefined;
  expect(a.headers['content-security-policy'], label(c, a)).toContain("default-src 'none'");
  // A page or a refusal never shows the server's insides (a static script may well say "Error:").
  if (isText(a)) expect(a.body, label(c, a)).not.toMatch(/at .*\.(ts|js):\d+|node_modules|Error:/);
  const want = asked(c.method, c.path, c.headers.cookie, c.accepts);
  checkLanguage(c, a, want);
  if (a.status < 400 || c.method === 'HEAD') return undefined;
  // A sentence written for the source, in the source's language: the framework's own wording ("Failed to decode param '%'") is none.
  const text = refusalText(c, a, want.lang);
  const key = refusalKey(said, want.lang, text);
  expect(key, `not a ${want.lang} refusal: ${JSON.stringify(text)} for ${label(c, a)}`).toBeDefined();
  return key;
}

/** For each route: in which languages a request reached it (anything but the catch-all "nothing at this address"), and how many generated ones did. */
const reached = new Map<string, Set<string>>();
const generated = new Map<string, number>();
let sent = 0;

/** Sends a case and checks its answer and what is stored; notes the route it reached. */
async function check(c: Case, before: string, tally = false): Promise<string> {
  const t0 = performance.now();
  const a = await send(c);
  sent++;
  expect(performance.now() - t0, show(c)).toBeLessThan(CASE_MS);
  const key = checkAnswer(c, a);
  const route = routeOf(found, c.method, c.path);
  const want = asked(c.method, c.path, c.headers.cookie, c.accepts);
  if (route && !want.switched && !parserRefusal(a) && (route.method === 'ANY' || key !== 'error.notFound')) {
    const id = `${route.method} ${route.pattern}`;
    reached.set(id, (reached.get(id) ?? new Set()).add(want.lang));
    if (tally) generated.set(id, (generated.get(id) ?? 0) + 1);
  }
  const refused = a.status >= 400 || c.method === 'GET' || c.method === 'HEAD';
  const after = refused ? await snapshot() : await quiet();
  if (refused) expect(after, label(c, a)).toBe(before);
  return after;
}

// How each language is asked for in the sweep of every route: as browsers send it.
const ACCEPT: Record<string, string> = { en: 'en-US,en;q=0.5', 'zh-Hans': 'zh-CN,zh;q=0.9', 'zh-Hant': 'zh-TW', ug: 'ug-CN' };

describe('every source route, under generated requests', () => {
  test('no 5xx, clear 4xx refusals in the asked language with the CSP header, bounded time, nothing stored by a refusal', async () => {
    let before = await snapshot();
    const started = performance.now();
    await fc.assert(fc.asyncProperty(cases, async (make) => {
      before = await check(make(), before, true);
    }), { numRuns: RUNS });
    // And each route the router holds, plainly, in each language: a route that only chance could reach is reached here.
    for (const route of found) for (const tag of TAGS) before = await check(plainCase(route, files, ACCEPT[tag]!, tag), before);
    console.log(`route fuzz: ${sent} requests in ${Math.round(performance.now() - started)} ms`);
  });

  test('every route the router holds was reached, in every language, and by generated requests', () => {
    // The router read as it is today (19 routes, the static files' mount and the JSON parser's), so that a failure to read it cannot pass as "no routes".
    expect(found.length).toBeGreaterThanOrEqual(21);
    expect(sent).toBe(RUNS + found.length * TAGS.length);
    const missing = found.flatMap((r) => TAGS.filter((tag) => !reached.get(`${r.method} ${r.pattern}`)?.has(tag)).map((tag) => `${r.method} ${r.pattern} in ${tag}`));
    expect(missing).toEqual([]);
    // Each route got dozens of generated requests (a route no generator reaches would show here as 0).
    expect(found.map((r) => `${r.method} ${r.pattern}`).filter((id) => (generated.get(id) ?? 0) < 10)).toEqual([]);
  });
});

describe('codename logins, whose wrong answers come after a delay', () => {
  test('generated codenames and login secrets, a few at once: the same properties', async () => {
    const { kdfSalt } = (await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string };
    const { loginSecret } = await deriveSourceSecrets(real.codename, kdfSalt);
    const word = fc.constantFrom(...EFF_LARGE_WORDLIST.slice(0, 500));
    const codename = fc.oneof(fc.constant(real.codename), fc.array(word, { minLength: 7, maxLength: 7 }).map((w) => w.join(' ')), latin1(120), fc.constant(`  ${real.codename.toUpperCase()} `));
    const login = fc.oneof(fc.constant(loginSecret), fc.stringMatching(/^[0-9a-f]{64}$/), anyJson);
    const loginCase = fc.oneof(
      codename.map((c) => ({ method: 'POST', path: '/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: Buffer.from(`codename=${encodeURIComponent(c)}`), accepts: 'en' })),
      login.map((l) => ({ method: 'POST', path: '/api/sources/login', headers: { 'content-type': 'application/json' }, body: Buffer.from(JSON.stringify({ login: l })), accepts: 'en' })),
    );
    // Three at once: the no-JS logins queue behind one another (one PBKDF2 at a time), well within the bound.
    await fc.assert(fc.asyncProperty(fc.array(loginCase, { minLength: 3, maxLength: 3 }), async (batch) => {
      const before = await snapshot();
      const started = performance.now();
      const answers = await Promise.all(batch.map((c) => send(c)));
      expect(performance.now() - started).toBeLessThan(CASE_MS);
      batch.forEach((c, i) => checkAnswer(c, answers[i]!));
      // A right codename marks the replies it shows as read; anything refused changes nothing.
      if (answers.every((a) => a.status >= 400)) expect(await snapshot()).toBe(before);
    }), { numRuns: 6 });
  });
});

describe('requests whose Content-Length lies', () => {
  /**
   * Sends the bytes by hand, declaring `declared` bytes; if that is more than sent, the client stops
   * writing. If it is less, the bytes past it (which HTTP reads as a next, garbled request) follow
   * only once the first answer has begun: the first status is then always the answer to the request
   * that lied, given once the server is done with it, never Node's 400 for the garbled one while the
   * first is still being handled (which made the check below race the handler). The statuses answered.
   */
  function sendRaw(c: Case, declared: number): Promise<number[]> {
    return new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const finish = () => {
        clearTimeout(timer);
        socket.destroy();
        resolve([...Buffer.concat(chunks).toString('latin1').matchAll(/HTTP\/1\.1 (\d{3})/g)].map((m) => Number(m[1])));
      };
      let timer = setTimeout(finish, CASE_MS);
      // The answer is what counts; a connection the server keeps open afterwards is not waited for.
      const head = [`${c.method} ${c.path} HTTP/1.1`, `Host: 127.0.0.1:${port}`, ...Object.entries(c.headers).map(([k, v]) => `${k}: ${v}`), `Content-Length: ${declared}`, '', ''];
      const bytes = concat(Buffer.from(head.join('\r\n'), 'latin1'), c.body);
      const cut = bytes.length - Math.max(0, c.body.length - declared);
      socket.on('data', (d: Buffer) => {
        if (chunks.push(d) > 1) return;
        if (cut < bytes.length) socket.write(bytes.subarray(cut));
        clearTimeout(timer);
        timer = setTimeout(finish, 300);
      });
      socket.on('close', finish);
      socket.on('error', () => undefined);
      socket.write(bytes.subarray(0, cut));
      if (declared > c.body.length) socket.end();
    });
  }

  test('shorter or longer than the body: an answer under 500 (or a closed connection), promptly, nothing stored', async () => {
    await fc.assert(fc.asyncProperty(cases, fc.integer({ min: -64, max: 64 }).filter((d) => d !== 0), async (make, delta) => {
      const c = make();
      const declared = Math.max(0, c.body.length + delta);
      if (declared === c.body.length) return;
      const before = await quiet();
      const started = performance.now();
      const statuses = await sendRaw(c, declared);
      expect(performance.now() - started, show(c)).toBeLessThan(CASE_MS);
      for (const status of statuses) expect(status, show(c)).toBeLessThan(500);
      // A broken-off no-JS upload is discarded after the connection is gone: wait for that, within bounds.
      if (statuses.length === 0 || statuses[0]! >= 400) expect(await settled(before), show(c)).toBe(before);
    }), { numRuns: 150 });
  });
});

test('the server is still up and answering', async () => {
  expect((await fetch(`${instance.sourceUrl}/api/config`)).status).toBe(200);
  expect((await fetch(`${instance.sourceUrl}/`)).status).toBe(200);
});
