import Database from 'better-sqlite3';
import { spawn } from 'node:child_process';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type JournalistKey } from '../../common/envelope/index.ts';
import { openStore } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { raw, refusal, sealedBackup } from '../helpers/forged.ts';
import { SOURCE_KEY } from '../helpers/sources.ts';

// Threat: a forged data directory or backup. Anyone can seal a backup to a journalist's public key
// (no secret needed); if its rows name the newsroom's real fingerprints while `public_key` holds
// the attacker's key, every place that shows the column vouches for the attacker, and every new
// source encrypts to them. A planted trigger, view, table or index could do the same at run time.
// Every open of the store (server start, CLI, restore) must refuse such a database.

let work: string;
let newsroom: JournalistKey; // jo's real key: the newsroom holds its private half
let newsroomSecret: string;
let attacker: JournalistKey; // the planted key: only the attacker can read what is sent to it

beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-forged-'));
  const pair = await generateKeyPair({ name: 'Jo Newsroom' });
  newsroom = await readJournalistKey(pair.publicKey);
  newsroomSecret = path.join(work, 'jo-secret.asc');
  await writeFile(newsroomSecret, pair.privateKey);
  await writeFile(path.join(work, 'jo.asc'), pair.publicKey);
  attacker = await readJournalistKey((await generateKeyPair({ name: 'Jo Newsroom' })).publicKey);
});
afterAll(() => rm(work, { recursive: true, force: true }));

let n = 0;
/** A data directory Sealdrop made: jo (admin) with the newsroom's key, and one source. */
async function honestDir(): Promise<string> {
  const dir = path.join(work, `data-${++n}`);
  const store = openStore(dir);
  store.journalists.add({ username: 'jo', fingerprint: newsroom.fingerprint, recipientKeyId: newsroom.recipientKeyId, publicKey: newsroom.armored, isAdmin: true });
  store.sources.create({ loginSecret: 'a'.repeat(64), ...SOURCE_KEY, privateKey: 'locked' });
  store.close();
  return dir;
}

/** jo's row keeps the newsroom's fingerprint; its key becomes the attacker's. */
async function forgedDir(): Promise<string> {
  const dir = await honestDir();
  raw(dir, 'UPDATE journalists SET public_key = ?, recipient_key_id = ? WHERE username = ?', attacker.armored, attacker.recipientKeyId, 'jo');
  return dir;
}

/** Starts the real server on `dir`; if it starts, returns the keys its source page is told to encrypt to. */
async function serverOn(dir: string): Promise<{ code: number | null; output: string; keys: string[] | null }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { ...process.env, SEALDROP_DATA: dir, SEALDROP_SOURCE_PORT: '0', SEALDROP_JOURNALIST_PORT: '0', TSX_DISABLE_CACHE: '1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (d) => (output += d));
  child.stderr.on('data', (d) => (output += d));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  const started = await Promise.race([
    exited.then(() => false),
    new Promise<boolean>((resolve) => {
      const poll = setInterval(() => /source interface:\s+http/.test(output) && (clearInterval(poll), resolve(true)), 50);
      void exited.then(() => clearInterval(poll));
    }),
  ]);
  if (!started) return { code: await exited, output, keys: null };
  const url = /source interface:\s+(http:\S+)\//.exec(output)![1]!;
  const config = (await (await fetch(`${url}/api/config`)).json()) as { keys: string[] };
  child.kill('SIGTERM');
  return { code: await exited, output, keys: config.keys };
}

describe('a row whose fingerprint names the real key while public_key holds another', () => {
  test('the store refuses to open, with a stable code', async () => {
    const dir = await forgedDir();
    expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'key_mismatch' });
    // A source whose recipient key ID is not its key's is refused the same way.
    const other = await honestDir();
    raw(other, "UPDATE sources SET recipient_key_id = '0123456789abcdef'");
    expect(refusal(other)).toMatchObject({ code: 'key_mismatch' });
  });

  test('`sealdrop journalist list` refuses it and never prints the planted row as the real fingerprint', async () => {
    const res = await sealdrop(['journalist', 'list', '--data', await forgedDir()]);
    expect(res.stdout).not.toContain(newsroom.fingerprint);
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/fingerprint stored for journalist #1 .* is not that of its public key .*forged or altered/);
  });

  test('the server does not start on it, so no source is ever given the planted key', async () => {
    const { code, output, keys } = await serverOn(await forgedDir());
    const fingerprints = await Promise.all((keys ?? []).map(async (k) => (await readJournalistKey(k)).fingerprint));
    expect(fingerprints).not.toContain(attacker.fingerprint);
    expect(keys).toBeNull();
    expect(code).toBe(1);
    expect(output).toMatch(/sealdrop: The fingerprint stored for journalist #1/);
  });
});

describe('a schema object the migrations did not make', () => {
  const plants: Record<string, string> = {
    // The attack: every key added from now on is silently swapped for the attacker's.
    trigger: 'CREATE TRIGGER swap AFTER INSERT ON journalists BEGIN UPDATE journalists SET public_key = (SELECT value FROM settings WHERE name = \'k\') WHERE id = new.id; END',
    view: 'CREATE VIEW everyone AS SELECT username, public_key FROM journalists',
    table: 'CREATE TABLE notes (x TEXT)',
    index: 'CREATE INDEX by_day ON sources (created_day)',
  };
  for (const [kind, sql] of Object.entries(plants)) {
    test(`an extra ${kind} is refused`, async () => {
      const dir = await honestDir();
      raw(dir, sql);
      expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'schema_altered' });
    });
  }

  test('an extra column is refused too', async () => {
    const dir = await honestDir();
    const db = new Database(path.join(dir, 'sealdrop.sqlite'));
    db.exec('ALTER TABLE journalists ADD COLUMN note TEXT');
    db.close();
    expect(refusal(dir)).toMatchObject({ code: 'schema_altered' });
  });

  // The stored CREATE text itself, edited in place (PRAGMA writable_schema): SQLite parses it at
  // every open, integrity_check still says ok, and no pragma shows a CHECK, an ON CONFLICT clause or
  // the collation of an unindexed column.
  const clauses: Record<string, [string, string]> = {
    // A planted journalist who can never be disabled: UPDATE ... SET active = 0 fails for mallory.
    CHECK: ['created_day TEXT NOT NULL\n', "created_day TEXT NOT NULL CHECK (active = 1 OR username <> 'mallory')\n"],
    'ON CONFLICT': ['fingerprint TEXT NOT NULL UNIQUE', 'fingerprint TEXT NOT NULL UNIQUE ON CONFLICT REPLACE'],
    COLLATE: ['recipient_key_id TEXT NOT NULL', 'recipient_key_id TEXT NOT NULL COLLATE NOCASE'],
    DEFAULT: ['is_admin INTEGER NOT NULL DEFAULT 0', 'is_admin INTEGER NOT NULL DEFAULT 1'],
    GENERATED: ['onion_auth TEXT, ', "onion_auth TEXT, shadow TEXT GENERATED ALWAYS AS ('x') VIRTUAL, "],
  };
  for (const [clause, [from, to]] of Object.entries(clauses)) {
    test(`a ${clause} clause written into the stored CREATE TABLE text is refused`, async () => {
      const dir = await honestDir();
      const db = new Database(path.join(dir, 'sealdrop.sqlite'));
      const sql = (db.prepare("SELECT sql FROM sqlite_schema WHERE name = 'journalists'").get() as { sql: string }).sql;
      expect(sql).toContain(from);
      db.unsafeMode(true); // lifts SQLITE_DBCONFIG_DEFENSIVE, which forbids writing sqlite_schema
      db.pragma('writable_schema = ON');
      db.prepare("UPDATE sqlite_schema SET sql = ? WHERE name = 'journalists'").run(sql.replace(from, to));
      db.pragma('writable_schema = OFF');
      db.close();
      const check = new Database(path.join(dir, 'sealdrop.sqlite'));
      expect(check.pragma('integrity_check', { simple: true })).toBe('ok');
      if (clause === 'CHECK') {
        // The clause is live (shown in a transaction rolled back, so the file holds no other change).
        check.exec('BEGIN');
        check.prepare("INSERT INTO journalists (username, fingerprint, recipient_key_id, public_key, created_day) VALUES ('mallory', 'f', 'r', 'k', '2026-12-06')").run();
        expect(() => check.prepare("UPDATE journalists SET active = 0 WHERE username = 'mallory'").run()).toThrow(/CHECK constraint failed/);
        check.exec('ROLLBACK');
      }
      check.close();
      expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'schema_altered' });
      const { assertUntouchedSchema } = await import('../../server/store/index.ts');
      expect(() => assertUntouchedSchema(path.join(dir, 'sealdrop.sqlite'))).toThrow(expect.objectContaining({ code: 'schema_altered' }));
    });
  }

  test('the planted trigger never swaps a key `sealdrop journalist add` stores', async () => {
    const dir = await honestDir();
    raw(dir, "INSERT INTO settings (name, value) VALUES ('k', ?)", attacker.armored);
    raw(dir, plants.trigger!);
    const ana = await generateKeyPair({ name: 'Ana' });
    await writeFile(path.join(work, 'ana.asc'), ana.publicKey);
    const res = await sealdrop(['journalist', 'add', '--username', 'ana', '--public-key', path.join(work, 'ana.asc'), '--data', dir]);
    const db = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
    const row = db.prepare("SELECT public_key FROM journalists WHERE username = 'ana'").get() as { public_key: string } | undefined;
    db.close();
    expect(row?.public_key).not.toBe(attacker.armored);
    expect(row).toBeUndefined();
    expect(res.code).not.toBe(0);
    expect(res.stderr).toMatch(/trigger "swap" that Sealdrop's migrations never create/);
  });

  test('restore can check a file before it touches it (assertUntouchedSchema), and the file is left byte for byte', async () => {
    const { assertUntouchedSchema } = await import('../../server/store/index.ts');
    const dir = await honestDir();
    const file = path.join(dir, 'sealdrop.sqlite');
    expect(() => assertUntouchedSchema(file)).not.toThrow();
    raw(dir, plants.view!);
    const before = await readFile(file);
    expect(() => assertUntouchedSchema(file)).toThrow(expect.objectContaining({ code: 'schema_altered' }));
    expect((await readFile(file)).equals(before)).toBe(true);
  });

  test('a database at an older schema is refused before it is upgraded', async () => {
    const dir = path.join(work, 'v5');
    await cp(path.join(import.meta.dirname, '../fixtures/schema/v5'), dir, { recursive: true });
    raw(dir, plants.trigger!);
    expect(refusal(dir)).toMatchObject({ code: 'schema_altered' });
    const db = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(5);
    db.close();
  });
});

test('a forged backup, sealed to the newsroom\'s public key alone, is refused by `sealdrop restore`', async () => {
  // The attacker needs no secret: a forged database, sealed with Sealdrop's own backup code to
  // jo's public key, and a digest of the file they hand over.
  const out = path.join(work, 'forged.backup');
  const digest = await sealedBackup(await forgedDir(), out, [newsroom.key]);

  const target = path.join(work, 'restored');
  const res = await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', newsroomSecret, '--data', target]);
  expect(res.stdout).not.toContain(newsroom.fingerprint);
  expect(res.code).not.toBe(0);
  expect(res.stderr).toMatch(/fingerprint stored for journalist #1 .* is not that of its public key .*forged or altered/);
  expect(existsSync(target)).toBe(false);
});
