import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { daysBefore, today } from './day.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { isSealed, loadTotpKey, totpBox, type TotpBox } from './totp-key.ts';
import { assertNewKeyFields, fingerprintOf } from './key-check.ts';
import { keyIdsOf } from './key-ids.ts';
import { keyIdOwners } from './sealed-to.ts';
import { said, type Said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

export type Journalist = {
  id: number;
  username: string;
  /** Computed from `publicKey` (never the stored column, which is only checked against it). */
  fingerprint: string;
  publicKey: string;
  active: boolean;
  isAdmin: boolean;
  /** Has a passphrase and TOTP, so can log in to the web interface. */
  enrolled: boolean;
  /** Holds an onion access key (the journalist onion service admits only such devices). */
  hasOnionAccess: boolean;
  createdDay: string;
  /** Minutes without activity after which the page forgets the unlocked key (1..240). */
  lockMinutes: number;
  /** Where notices of new material go; null = this journalist is not told. */
  notifyEmail: string | null;
  /** Encrypt those notices to the journalist's own public key. */
  notifyEncrypt: boolean;
};
/** The idle auto-lock's bounds, in minutes. */
export const LOCK_MINUTES = { min: 1, max: 240 } as const;
/**
 * What readJournalistKey returned. The recipient key ID new objects are checked against is not
 * kept on a Journalist: recipients.ts derives it from the key itself (openpgp's choice of subkey).
 */
export type KeyFields = { fingerprint: string; recipientKeyId: string; publicKey: string };
export type NewJournalist = KeyFields & { username: string; isAdmin?: boolean };
export type Credentials = { passwordHash: string | null; totpSecret: string | null };
/** A key a journalist used before: what was sealed to it stays named, and openable with it. */
export type RetiredKey = { fingerprint: string; recipientKeyIds: string[]; publicKey: string; retiredDay: string };
/** Whose key a fingerprint or recipient key ID is (current or retired). */
export type KeyOwner = { journalistId: number; username: string; fingerprint: string; retired: boolean };

type Row = {
  id: number; username: string; fingerprint: string; recipient_key_id: string; public_key: string; active: number;
  is_admin: number; password_hash: string | null; totp_secret: string | null; created_day: string; onion_auth: string | null;
  lock_minutes: number; notify_email: string | null; notify_encrypt: number;
};
const toJournalist = (r: Row): Journalist => ({
  id: r.id,
  username: r.username,
  fingerprint: fingerprintOf(r.public_key),
  publicKey: r.public_key,
  active: r.active === 1,
  isAdmin: r.is_admin === 1,
  enrolled: r.password_hash !== null && r.totp_secret !== null,
  hasOnionAccess: r.onion_auth !== null,
  createdDay: r.created_day,
  lockMinutes: r.lock_minutes,
  notifyEmail: r.notify_email,
  notifyEncrypt: r.notify_encrypt === 1,
});
const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
/** Enrolment links expire after this many days, counted in whole days. */
const ENROLMENT_DAYS = 7;

/**
 * Checks the key file against every sealed TOTP secret (so a wrong key stops start-up, not a
 * login days later) and seals any an older Sealdrop stored in plaintext.
 */
export function openTotpSecrets(db: Db, keyFile: string): TotpBox {
  const rows = prepared(db, 'SELECT id, totp_secret AS secret FROM journalists WHERE totp_secret IS NOT NULL').all() as { id: number; secret: string }[];
  const sealed = rows.filter((r) => isSealed(r.secret));
  const box = totpBox(loadTotpKey(keyFile, sealed.length), keyFile);
  for (const r of sealed) box.open(r.id, r.secret);
  const update = db.prepare('UPDATE journalists SET totp_secret = ? WHERE id = ?');
  // secure_delete overwrites the plaintext in place; the rollback journal is emptied at commit.
  db.transaction(() => rows.filter((r) => !isSealed(r.secret)).forEach((r) => update.run(box.seal(r.id, r.secret), r.id)))();
  return box;
}

export function journalistRepo(db: Db, totp: TotpBox) {
  const row = (where: string, value: unknown): Row | undefined => prepared(db, `SELECT * FROM journalists WHERE ${where} = ?`).get(value) as Row | undefined;
  const must = (r: Row | undefined, which: Said): Journalist => {
    if (!r) throw new NotFoundError(which);
    return toJournalist(r);
  };
  const changed = (info: { changes: number }, which: Said) => {
    if (info.changes === 0) throw new NotFoundError(which);
  };
  const named = (username: string) => said('store.noJournalistNamed', { username });
  const BY_ID = said('store.noJournalistId');
  // A key another journalist holds, or held (what is sealed to it stays theirs), is not free; nor is
  // one anything was ever sealed to, unless it is `exceptId`'s own: a removed journalist's retired
  // keys go with them, but whoever is given their key would see every item sealed to it (access.ts).
  const keyClash = db.prepare(
    `SELECT 1 FROM journalists WHERE fingerprint = @fp AND id != @id
     UNION ALL SELECT 1 FROM retired_keys WHERE fingerprint = @fp AND journalist_id != @id
     UNION ALL SELECT 1 WHERE (EXISTS (SELECT 1 FROM submission_keys WHERE fingerprint = @fp)
         OR EXISTS (SELECT 1 FROM replies r, json_each(r.sealed_to) e WHERE r.sealed_to IS NOT NULL AND e.value = @fp))
       AND NOT EXISTS (SELECT 1 FROM journalists WHERE id = @id AND fingerprint = @fp)
       AND NOT EXISTS (SELECT 1 FROM retired_keys WHERE journalist_id = @id AND fingerprint = @fp)`,
  );
  const othersKeys = db.prepare('SELECT public_key FROM journalists WHERE id != @id UNION ALL SELECT public_key FROM retired_keys WHERE journalist_id != @id');
  // A key may carry a colleague's encryption subkey under a primary key of its own (a subkey needs
  // no signature from its owner): every new object for that colleague would then be recorded as
  // sealed to the newcomer, who would see it and could strip the colleague's PKESKs in a rotation.
  // So no key ID of a new key (primary or subkey) may be one of another journalist's, current or retired.
  const assertKeyIdsFree = (publicKey: string, exceptId: number) => {
    const mine = new Set(keyIdsOf(publicKey).keyIds);
    for (const r of othersKeys.all({ id: exceptId }) as { public_key: string }[]) {
      if (keyIdsOf(r.public_key).keyIds.some((k) => mine.has(k))) throw new ConflictError(said('store.keyInUse'));
    }
  };
  const assertKeyFree = (key: { fingerprint: string; publicKey: string }, exceptId = -1) => {
    if (keyClash.get({ fp: key.fingerprint, id: exceptId })) throw new ConflictError(said('store.keyInUse'));
    assertKeyIdsFree(key.publicKey, exceptId);
  };
  type RetiredRow = { journalist_id: number; public_key: string; retired_day: string };
  const toRetired = (r: RetiredRow): RetiredKey => {
    const ids = keyIdsOf(r.public_key);
    return { fingerprint: ids.fingerprint, recipientKeyIds: ids.subkeyIds, publicKey: r.public_key, retiredDay: r.retired_day };
  };

  return {
    /** Refuses a key sharing any key ID (primary or subkey) with another journalist's key, current or retired. */
    assertKeyIdsFree,
    add(j: NewJournalist): Journalist {
      assertNewKeyFields(j);
      if (row('username', j.username)) throw new ConflictError(said('store.usernameTaken'));
      assertKeyFree(j);
      prepared(db, 'INSERT INTO journalists (username, fingerprint, recipient_key_id, public_key, is_admin, created_day) VALUES (?, ?, ?, ?, ?, ?)').run(
        j.username, j.fingerprint, j.recipientKeyId, j.publicKey, j.isAdmin ? 1 : 0, today(),
      );
      return this.get(j.username);
    },
    get: (username: string): Journalist => must(row('username', username), named(username)),
    byId: (id: number): Journalist => must(row('id', id), BY_ID),
    find: (id: number): Journalist | undefined => {
      const r = row('id', id);
      return r && toJournalist(r);
    },
    list: (): Journalist[] => (prepared(db, 'SELECT * FROM journalists ORDER BY username').all() as Row[]).map(toJournalist),
    count: (): number => (prepared(db, 'SELECT COUNT(*) AS c FROM journalists').get() as { c: number }).c,
    /** The keys every new object must be encrypted to. */
    active(): Journalist[] {
      return this.list().filter((j) => j.active);
    },
    remove(username: string): void {
      changed(prepared(db, 'DELETE FROM journalists WHERE username = ?').run(username), named(username));
    },
    setActive: (id: number, active: boolean) => changed(prepared(db, 'UPDATE journalists SET active = ? WHERE id = ?').run(active ? 1 : 0, id), BY_ID),
    replaceKey(id: number, key: KeyFields): void {
      assertNewKeyFields(key);
      assertKeyFree(key, id);
      changed(prepared(db, 'UPDATE journalists SET fingerprint = ?, recipient_key_id = ?, public_key = ? WHERE id = ?').run(key.fingerprint, key.recipientKeyId, key.publicKey, id), BY_ID);
    },
    /**
     * Key rotation: the current key is kept in retired_keys (dated today) and `key` becomes
     * current. Only the `key` change's applier calls this (changes.ts), inside its transaction.
     */
    rotateKey(id: number, key: KeyFields): void {
      assertNewKeyFields(key);
      assertKeyFree(key, id);
      const old = must(row('id', id), BY_ID);
      if (old.fingerprint === key.fingerprint) throw new ConflictError(said('store.sameKey'));
      db.transaction(() => {
        prepared(db, 'INSERT OR REPLACE INTO retired_keys (fingerprint, journalist_id, recipient_key_id, public_key, retired_day) VALUES (?, ?, ?, ?, ?)').run(
          old.fingerprint, id, row('id', id)!.recipient_key_id, old.publicKey, today(), // the recipient subkey, not the key's last subkey (a signing or authentication one on smartcard layouts)
        );
        // Taking back a key used before makes it current again, not both.
        prepared(db, 'DELETE FROM retired_keys WHERE fingerprint = ?').run(key.fingerprint);
        prepared(db, 'UPDATE journalists SET fingerprint = ?, recipient_key_id = ?, public_key = ? WHERE id = ?').run(key.fingerprint, key.recipientKeyId, key.publicKey, id);
      })();
    },
    /** A journalist's earlier keys, newest first. */
    retiredKeys: (journalistId: number): RetiredKey[] =>
      (prepared(db, 'SELECT * FROM retired_keys WHERE journalist_id = ? ORDER BY retired_day DESC, rowid DESC').all(journalistId) as RetiredRow[]).map(toRetired),
    /**
     * Whose key a primary fingerprint (40 hex) or a key ID (16 hex: what a PKESK names) is, current or
     * retired; null when nobody's. Built on keyIdOwners (sealed-to.ts), the rule re-wraps and sealed-to
     * rows follow: a key ID two keys claim is nobody's, and so is a fingerprint whose own key ID is.
     * The lookup reads every key once: build it once for many look-ups (an export).
     */
    keyOwners(): (id: string) => KeyOwner | null {
      const owners = keyIdOwners(db);
      const names = new Map((prepared(db, 'SELECT id, username FROM journalists').all() as { id: number; username: string }[]).map((r) => [r.id, r.username]));
      return (id) => {
        if (!/^(?:[0-9a-fA-F]{16}|[0-9a-fA-F]{40})$/.test(id)) return null;
        const o = owners.get(id.slice(-16).toLowerCase());
        // The columns beside a key are checked against it at every open (key-check.ts); they differ only in case.
        const fingerprint = o?.fingerprint.toUpperCase();
        const username = o && names.get(o.journalistId);
        if (!o || username === undefined || (id.length === 40 && fingerprint !== id.toUpperCase())) return null;
        return { journalistId: o.journalistId, username, fingerprint: fingerprint!, retired: o.retired };
      };
    },
    keyOwner(id: string): KeyOwner | null {
      return this.keyOwners()(id);
    },
    /** Active administrators: two or more, and changes to who can read what wait for a second one. */
    activeAdminCount: (): number => (prepared(db, 'SELECT COUNT(*) AS c FROM journalists WHERE is_admin = 1 AND active = 1').get() as { c: number }).c,
    setAdmin: (id: number, isAdmin: boolean) => changed(prepared(db, 'UPDATE journalists SET is_admin = ? WHERE id = ?').run(isAdmin ? 1 : 0, id), BY_ID),
    credentials(id: number): Credentials {
      const r = row('id', id);
      return { passwordHash: r?.password_hash ?? null, totpSecret: r?.totp_secret ? totp.open(id, r.totp_secret) : null };
    },
    /**
     * Sets (enrolment) or clears (an administrator's reset) the login. A reset also stops notices:
     * whoever held the account may have pointed them elsewhere, and the one who enrols next chooses again.
     */
    setCredentials: (id: number, c: Credentials) => {
      const sealed = c.totpSecret === null ? null : totp.seal(id, c.totpSecret);
      db.transaction(() => {
        changed(prepared(db, 'UPDATE journalists SET password_hash = ?, totp_secret = ? WHERE id = ?').run(c.passwordHash, sealed, id), BY_ID);
        if (c.passwordHash === null) prepared(db, 'UPDATE journalists SET notify_email = NULL, notify_encrypt = 0 WHERE id = ?').run(id);
      })();
    },
    /**
     * A one-time link token for setting passphrase and TOTP; the database keeps only its hash, and who
     * was shown it (`issuer`, an administrator's id; null: the CLI or first run): changes.ts never lets
     * the two be each other's second administrator.
     */
    createEnrolment(id: number, issuer: number | null = null): string {
      const token = randomBytes(32).toString('base64url');
      prepared(db, 'UPDATE journalists SET login_issued_by = ? WHERE id = ?').run(issuer, id);
      prepared(db, 'DELETE FROM enrolments WHERE journalist_id = ?').run(id);
      prepared(db, 'INSERT INTO enrolments (token_hash, journalist_id, created_day) VALUES (?, ?, ?)').run(hashToken(token), id, today());
      return token;
    },
    /** Who was shown the journalist's current enrolment link (null: the CLI, first run, or unknown). */
    loginIssuedBy: (id: number): number | null => (prepared(db, 'SELECT login_issued_by AS b FROM journalists WHERE id = ?').get(id) as { b: number | null } | undefined)?.b ?? null,
    enrolmentFor(token: string): Journalist {
      const r = prepared(db, 'SELECT journalist_id AS id FROM enrolments WHERE token_hash = ? AND created_day >= ?').get(hashToken(token), daysBefore(today(), ENROLMENT_DAYS)) as { id: number } | undefined;
      if (!r) throw new NotFoundError(said('store.enrolLink'));
      return this.byId(r.id);
    },
    /** Replaces the journalist's onion access key (the public half): the old one stops working. */
    setOnionAuth: (id: number, publicKey: string) => changed(prepared(db, 'UPDATE journalists SET onion_auth = ? WHERE id = ?').run(publicKey, id), BY_ID),
    /** The onion access keys tor should accept: active journalists' only. */
    onionAuthKeys: (): Map<string, string> =>
      new Map((prepared(db, 'SELECT id, onion_auth AS key FROM journalists WHERE active = 1 AND onion_auth IS NOT NULL').all() as { id: number; key: string }[]).map((r) => [`journalist-${r.id}`, r.key])),
    /** The idle auto-lock; the caller has validated n (a RangeError here is a programming error). */
    setLockMinutes(id: number, n: number): void {
      if (!Number.isInteger(n) || n < LOCK_MINUTES.min || n > LOCK_MINUTES.max) throw new RangeError('lock minutes out of range');
      changed(prepared(db, 'UPDATE journalists SET lock_minutes = ? WHERE id = ?').run(n, id), BY_ID);
    },
    /** Whether and where this journalist is told of new material (email null = not told). */
    setNotify: (id: number, n: { email: string | null; encrypt: boolean }) =>
      changed(prepared(db, 'UPDATE journalists SET notify_email = ?, notify_encrypt = ? WHERE id = ?').run(n.email, n.encrypt ? 1 : 0, id), BY_ID),
    /** Active journalists who asked to be told of new material. */
    notifyRecipients(): Journalist[] {
      return this.active().filter((j) => j.notifyEmail !== null);
    },
    consumeEnrolment: (token: string) => void prepared(db, 'DELETE FROM enrolments WHERE token_hash = ?').run(hashToken(token)),
    /** The last audit entry about access (seq) this journalist was shown on /access; 0 = none. */
    accessSeen: (id: number): number => (prepared(db, 'SELECT access_seen AS s FROM journalists WHERE id = ?').get(id) as { s: number } | undefined)?.s ?? 0,
    /** Only forward: a page rendered before a newer change must not mark that change seen. */
    setAccessSeen: (id: number, seq: number) => changed(prepared(db, 'UPDATE journalists SET access_seen = max(access_seen, ?) WHERE id = ?').run(seq, id), BY_ID),
  };
}
export type JournalistRepo = ReturnType<typeof journalistRepo>;
