import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { generateKeyPair, readJournalistKey, type JournalistKey } from '../../common/envelope/index.ts';
import { recipientsOf } from '../../server/recipients.ts';
import { entryHash, GENESIS, openStore } from '../../server/store/index.ts';
import { sealdrop } from '../helpers/cli.ts';
import { raw, refusal, sealedBackup } from '../helpers/forged.ts';

// Threat: a forged data directory or backup, in the tables of desks and keys over years (schema 9).
// A retired key names who can open what was sealed to it; a pending key change shows a second
// administrator the fingerprint they are asked to confirm; a desk's members are who its sources
// encrypt to. None may vouch for a key that is not the one it shows, and nothing a backup says
// about a change or a member may add a recipient that the newsroom's own code would not.

let work: string;
let jo: JournalistKey; // the newsroom's current key for jo (admin)
let joSecret: string;
let joOld: JournalistKey; // jo's retired key
let ana: JournalistKey;
let ben: JournalistKey;
let attacker: JournalistKey;

const key = async (name: string) => readJournalistKey((await generateKeyPair({ name })).publicKey);
beforeAll(async () => {
  work = await mkdtemp(path.join(os.tmpdir(), 'sealdrop-forged-desks-'));
  const pair = await generateKeyPair({ name: 'Jo Newsroom' });
  jo = await readJournalistKey(pair.publicKey);
  joSecret = path.join(work, 'jo-secret.asc');
  await writeFile(joSecret, pair.privateKey);
  [joOld, ana, ben, attacker] = await Promise.all([key('Jo Newsroom (2019)'), key('Ana'), key('Ben'), key('Jo Newsroom (2019)')]);
}, 60_000);
afterAll(() => rm(work, { recursive: true, force: true }));

let n = 0;
/** Sealdrop's own rows: jo (admin, with a retired key), ana active, ben disabled. */
function honestDir(): string {
  const dir = path.join(work, `data-${++n}`);
  const store = openStore(dir);
  for (const [username, k, isAdmin] of [['jo', jo, true], ['ana', ana, false], ['ben', ben, false]] as const) {
    store.journalists.add({ username, fingerprint: k.fingerprint, recipientKeyId: k.recipientKeyId, publicKey: k.armored, isAdmin });
  }
  store.journalists.setActive(store.journalists.get('ben').id, false);
  store.close();
  raw(dir, "INSERT INTO retired_keys (fingerprint, journalist_id, recipient_key_id, public_key, retired_day) VALUES (?, 1, ?, ?, '2026-12-01')", joOld.fingerprint, joOld.recipientKeyId, joOld.armored);
  return dir;
}

const pendingKey = (dir: string, payload: unknown) =>
  raw(dir, "INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES ('key', ?, 1, '2026-12-06')", JSON.stringify(payload));

/** `dir`'s database sealed to jo's public key and restored with `sealdrop restore` into a new directory. */
async function restored(dir: string): Promise<{ code: number | null; stdout: string; stderr: string; target: string }> {
  const out = path.join(work, `backup-${++n}`);
  const digest = await sealedBackup(dir, out, [jo.key]);
  const target = path.join(work, `restored-${n}`);
  return { ...(await sealdrop(['restore', '--in', out, '--sha256', digest, '--key', joSecret, '--data', target])), target };
}

/** The keys new material of `desk` (null: no desk) is encrypted to, as the server computes them. */
async function recipients(dir: string, desk: number | null): Promise<string[]> {
  const store = openStore(dir);
  try {
    return (await recipientsOf(store)(desk)).keys.map((k) => k.fingerprint).sort();
  } finally {
    store.close();
  }
}

describe('a retired key row whose fingerprint is not its key', () => {
  test('an honest retired key opens', () => {
    expect(refusal(honestDir())).toBeNull();
  });

  test('jo\'s old fingerprint beside the attacker\'s key: the store refuses the database whole', () => {
    const dir = honestDir();
    raw(dir, 'UPDATE retired_keys SET public_key = ?, recipient_key_id = ?', attacker.armored, attacker.recipientKeyId);
    expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'key_mismatch', message: expect.stringMatching(/fingerprint stored for retired key row 1 .* is not that of its public key/) });
    // A recipient key ID that is not the key's own is refused the same way.
    const other = honestDir();
    raw(other, "UPDATE retired_keys SET recipient_key_id = '0123456789abcdef'");
    expect(refusal(other)).toMatchObject({ code: 'key_mismatch' });
  });

  test('a retired row (consistent in itself) naming a colleague\'s current key is refused: jo would see what is sealed to ana as his', () => {
    const dir = honestDir();
    raw(dir, 'UPDATE retired_keys SET fingerprint = ?, recipient_key_id = ?, public_key = ?', ana.fingerprint, ana.recipientKeyId, ana.armored);
    expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'key_mismatch', message: expect.stringMatching(/Retired key row 1 names a key that is a journalist's current key/) });
  });

  test('`sealdrop restore` refuses such a backup and leaves no directory', async () => {
    const dir = honestDir();
    raw(dir, 'UPDATE retired_keys SET public_key = ?, recipient_key_id = ?', attacker.armored, attacker.recipientKeyId);
    const res = await restored(dir);
    expect(res.code).not.toBe(0);
    expect(res.stdout).not.toContain(joOld.fingerprint);
    expect(res.stderr).toMatch(/retired key row 1 .*forged or altered/);
    expect(existsSync(res.target)).toBe(false);
  });
});

describe('a pending key change', () => {
  test('holding a readable key for a journalist who exists opens', () => {
    const dir = honestDir();
    pendingKey(dir, { journalistId: 2, publicKey: attacker.armored });
    expect(refusal(dir)).toBeNull();
  });

  const forged: Record<string, unknown> = {
    'an unreadable key': { journalistId: 2, publicKey: '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----' },
    'no key at all': { journalistId: 2 },
    'a fingerprint that is not its key\'s': { journalistId: 2, publicKey: 'see below', fingerprint: 'see below' },
  };
  for (const [what, payload] of Object.entries(forged)) {
    test(`holding ${what} is refused whole`, () => {
      const dir = honestDir();
      const p = payload as Record<string, unknown>;
      if (p.publicKey === 'see below') p.publicKey = attacker.armored;
      if (p.fingerprint === 'see below') p.fingerprint = ana.fingerprint; // shows ana's fingerprint to the confirming admin
      pendingKey(dir, p);
      expect(refusal(dir)).toMatchObject({ name: 'UntrustedDatabaseError', code: 'key_mismatch', message: expect.stringMatching(/pending change #1/) });
    });
  }

  test('naming a journalist who no longer exists opens (removed since), and the change is dropped, adding no key', () => {
    const dir = honestDir();
    pendingKey(dir, { journalistId: 99, publicKey: attacker.armored });
    expect(refusal(dir)).toBeNull();
    const store = openStore(dir);
    try {
      expect(store.changes.pending()).toEqual([]);
      expect(store.journalists.list().map((j) => j.fingerprint)).not.toContain(attacker.fingerprint);
    } finally {
      store.close();
    }
  });

  test('a restored backup cannot make it look applied: an audit entry claiming it was confirmed adds no recipient', async () => {
    const dir = honestDir();
    pendingKey(dir, { journalistId: 2, publicKey: attacker.armored });
    // The attacker writes the entry a confirmation would have written, with a chain that verifies.
    const entry = { seq: 1, at: '2026-12-06T10:00:00Z', actor: 'journalist:jo', action: 'access.key', detail: { added: [attacker.fingerprint], removed: [ana.fingerprint], journalist: 'ana', requestedBy: 'jo', confirmedBy: 'jo' } };
    raw(dir, 'INSERT INTO audit_log (seq, at, actor, action, detail, hash) VALUES (?, ?, ?, ?, ?, ?)', entry.seq, entry.at, entry.actor, entry.action, JSON.stringify(entry.detail), entryHash(GENESIS, entry));
    const res = await restored(dir);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).not.toContain(attacker.fingerprint);
    const store = openStore(res.target);
    try {
      expect(store.audit.verify()).toBeNull(); // the chain alone cannot tell: only an export kept elsewhere can
      expect(store.journalists.get('ana').fingerprint).toBe(ana.fingerprint);
    } finally {
      store.close();
    }
    expect(await recipients(res.target, null)).toEqual([jo.fingerprint, ana.fingerprint].sort());
  });
});

test('a restored backup with a desk member who is not active adds no recipient to that desk', async () => {
  const dir = honestDir();
  raw(dir, "INSERT INTO desks (id, name, texts, created_day) VALUES (1, 'investigations', '{}', '2026-12-06')");
  raw(dir, 'INSERT INTO desk_members (desk_id, journalist_id) VALUES (1, 1), (1, 3)'); // jo, and ben (disabled)
  const res = await restored(dir);
  expect(res.code, res.stderr).toBe(0);
  expect(await recipients(res.target, 1)).toEqual([jo.fingerprint]);
  expect(await recipients(res.target, null)).toEqual([jo.fingerprint, ana.fingerprint].sort());
});
