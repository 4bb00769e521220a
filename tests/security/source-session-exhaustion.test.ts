import http from 'node:http';
import path from 'node:path';
import { createHash, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair } from '../../common/envelope/index.ts';
import { deriveSourceSecrets } from '../../common/codename.ts';
import { SourceSessions } from '../../server/auth/source-sessions.ts';
import { startInstance, type Instance } from '../helpers/instance.ts';
import { registerApiSource, SOURCE_KEY } from '../helpers/sources.ts';

// Threat: a hostile source fills the table of source sessions (behind Tor every source shares one
// address), locking every new source out, and a no-JS source whose submission was stored is told
// "busy" and never sees its codename.
const id = () => randomBytes(16).toString('hex');
const flip = (token: string, at: number) => token.slice(0, at) + (token[at] === 'A' ? 'B' : 'A') + token.slice(at + 1);

describe('source session tokens', () => {
  test('more than ten thousand sessions fill nothing: the first and the last token both still work', () => {
    const sessions = new SourceSessions();
    const made = Array.from({ length: 10_050 }, () => {
      const sourceId = id();
      return { sourceId, token: sessions.create(sourceId).token };
    });
    for (const m of [made[0]!, made[5000]!, made.at(-1)!]) expect(sessions.get(m.token)?.sourceId).toBe(m.sourceId);
  });

  test('a token cannot be forged or altered, and dies at its expiry and at a restart', () => {
    const sessions = new SourceSessions();
    const sourceId = id();
    const now = Date.UTC(2030, 0, 1, 12, 0, 0);
    const { token, session } = sessions.create(sourceId, now);
    expect(sessions.get(token, now)).toEqual(session);
    for (let at = 0; at < token.length; at++) expect(sessions.get(flip(token, at), now)).toBeNull();
    expect(sessions.get(token.slice(0, -1), now)).toBeNull();
    expect(sessions.get(`${token}A`, now)).toBeNull();
    expect(sessions.get('', now)).toBeNull();
    expect(sessions.get('x'.repeat(100_000), now)).toBeNull();
    // Still valid within the hour, refused once the (coarse) expiry has passed.
    expect(sessions.get(token, now + 59 * 60_000)?.sourceId).toBe(sourceId);
    expect(sessions.get(token, now + 3 * 60 * 60_000)).toBeNull();
    // The key lives in memory only: another process (a restart) cannot read this token.
    expect(new SourceSessions().get(token, now)).toBeNull();
  });

  test('the no-JS CSRF token is bound to the session token', () => {
    const sessions = new SourceSessions();
    const a = sessions.create(id());
    const b = sessions.create(id());
    expect(sessions.get(a.token)?.csrf).toBe(a.session.csrf);
    expect(a.session.csrf).not.toBe(b.session.csrf);
    expect(a.session.csrf).not.toBe(a.token);
  });
});

describe('over HTTP', () => {
  let instance: Instance;
  const BOUNDARY = 'exhaustion-boundary';
  beforeAll(async () => {
    instance = await startInstance();
    const pair = await generateKeyPair({ name: 'Jo' });
    await instance.addJournalist('jo', pair.publicKey);
  });
  afterAll(() => instance?.stop());

  /** Sources made straight in the database, in one transaction: only their sessions matter here. */
  function seedSources(count: number): string[] {
    const secrets = Array.from({ length: count }, () => randomBytes(32).toString('hex'));
    const db = new Database(path.join(instance.config.dataDir, 'sealdrop.sqlite'));
    try {
      const insert = db.prepare("INSERT INTO sources (id, designation, login_hash, public_key, private_key, recipient_key_id, created_day) VALUES (?, ?, ?, ?, 'private', ?, '2020-01-01')");
      const hash = (s: string) => createHash('sha256').update(`sealdrop-login:${s}`).digest('hex');
      db.transaction(() => secrets.forEach((s, n) => insert.run(id(), `seeded-${n}`, hash(s), SOURCE_KEY.publicKey, SOURCE_KEY.recipientKeyId)))();
    } finally {
      db.close();
    }
    return secrets;
  }

  /** Logs every secret in over four kept-alive connections; returns how many answers were 200. */
  async function logInAll(secrets: string[]): Promise<number> {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });
    const post = (body: string) =>
      new Promise<number>((resolve, reject) => {
        const req = http.request(`${instance.sourceUrl}/api/sources/login`, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode!));
        });
        req.on('error', reject);
        req.end(body);
      });
    let next = 0;
    let ok = 0;
    const loop = async () => {
      while (next < secrets.length) {
        const body = JSON.stringify({ login: secrets[next++] });
        // A slot still closing can answer 503 for a moment; a full table would answer it every time.
        for (let tries = 0; tries < 3; tries++) {
          const status = await post(body);
          if (status === 200) ok++;
          if (status !== 503) break;
        }
      }
    };
    await Promise.all([loop(), loop(), loop(), loop()]);
    agent.destroy();
    return ok;
  }

  const api = (p: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${instance.sourceUrl}/api${p}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const noScriptMessage = (text: string) =>
    fetch(`${instance.sourceUrl}/submit`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${BOUNDARY}` },
      body: `--${BOUNDARY}\r\nContent-Disposition: form-data; name="message"\r\n\r\n${text}\r\n--${BOUNDARY}--\r\n`,
    });

  test('after 10,000 source logins a new source still registers, logs in and sends; a no-JS source sees its codename', async () => {
    expect(await logInAll(seedSources(10_000))).toBe(10_000);

    const sources = instance.rows().sources!.length;
    const res = await noScriptMessage('stored, so the codename must be shown');
    const page = await res.text();
    expect(res.status).toBe(200);
    expect(page).toMatch(/<p class="codename" id="codename" dir="ltr">(\w+ ){6}\w+<\/p>/);
    expect(instance.rows().sources!.length).toBe(sources + 1);

    const { token, codename } = await registerApiSource(instance.sourceUrl);
    expect((await api('/submissions', { parts: 1, secret: randomBytes(32).toString('hex') }, { 'x-source-token': token })).status).toBe(201);
    const salt = ((await (await fetch(`${instance.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
    const login = await api('/sources/login', { login: (await deriveSourceSecrets(codename, salt)).loginSecret });
    expect(login.status).toBe(200);
    const again = ((await login.json()) as { sourceToken: string }).sourceToken;
    expect((await api('/submissions', { parts: 1, secret: randomBytes(32).toString('hex') }, { 'x-source-token': again })).status).toBe(201);
    // An altered token is refused and creates nothing.
    expect((await api('/submissions', { parts: 1, secret: randomBytes(32).toString('hex') }, { 'x-source-token': flip(again, 20) })).status).toBe(401);
  });
});
