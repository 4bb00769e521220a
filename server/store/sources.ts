import { createHash, randomBytes } from 'node:crypto';
import type { Db } from './db.ts';
import { today } from './day.ts';
import { uniqueDesignation } from './designation.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { assertNewSourceKey, sourceRecipientOf } from './key-check.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

export type NewSource = { loginSecret: string; publicKey: string; privateKey: string; recipientKeyId: string };
/** `recipientKeyId` is computed from `publicKey`, never read from the column beside it. */
export type Source = { id: string; designation: string; publicKey: string; recipientKeyId: string; starred: boolean };

// The login secret is 256 bits derived from the codename, so a plain hash is enough at rest.
const hashLogin = (secret: string) => createHash('sha256').update(`sealdrop-login:${secret}`).digest('hex');

// public_key and recipient_key_id are NULL for sources made before codenames (schema 1 and 2).
type Row = { id: string; designation: string; public_key: string; recipient_key_id: string; starred: number; private_key: string };

export function sourceRepo(db: Db) {
  return {
    /**
     * `announced: false` for a source made during a no-JS upload, until its codename is shown.
     * `deskId`: the desk chosen, in the same statement as the row, so a crash never leaves a desk's
     * source in no desk (which every journalist sees).
     */
    create(s: NewSource, { announced = true, deskId = null as number | null } = {}): { id: string; designation: string } {
      // The route read the key with the envelope; the column must say what the key says (key-check.ts).
      assertNewSourceKey(s.publicKey, s.recipientKeyId);
      if (deskId !== null && prepared(db, 'SELECT 1 FROM desks WHERE id = ?').get(deskId) === undefined) throw new NotFoundError(said('store.desk.none'));
      const id = randomBytes(16).toString('hex');
      const taken = db.prepare('SELECT 1 FROM sources WHERE designation = ?');
      const designation = uniqueDesignation((d) => taken.get(d) !== undefined);
      try {
        prepared(db, 'INSERT INTO sources (id, designation, login_hash, public_key, private_key, recipient_key_id, created_day, announced, desk_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
          id, designation, hashLogin(s.loginSecret), s.publicKey, s.privateKey, s.recipientKeyId, today(), announced ? 1 : 0, deskId,
        );
      } catch {
        throw new ConflictError(said('store.codenameUnusable'));
      }
      return { id, designation };
    },
    /** The source a login secret belongs to, with its protected private key. */
    byLogin(loginSecret: string): { id: string; privateKey: string } {
      const row = prepared(db, 'SELECT id, private_key FROM sources WHERE login_hash = ?').get(hashLogin(loginSecret)) as Row | undefined;
      if (!row) throw new NotFoundError(said('store.unknownCodename'));
      return { id: row.id, privateKey: row.private_key };
    },
    get(id: string): Source {
      const row = prepared(db, 'SELECT * FROM sources WHERE id = ?').get(id) as Row | undefined;
      if (!row) throw new NotFoundError(said('staff.error.noSource'));
      return { id: row.id, designation: row.designation, publicKey: row.public_key, recipientKeyId: row.public_key === null ? row.recipient_key_id : sourceRecipientOf(row.public_key), starred: row.starred === 1 };
    },
    setStarred(id: string, starred: boolean): void {
      if (prepared(db, 'UPDATE sources SET starred = ? WHERE id = ?').run(starred ? 1 : 0, id).changes === 0) throw new NotFoundError(said('staff.error.noSource'));
    },
    setDone(id: string, done: boolean): void {
      if (prepared(db, 'UPDATE sources SET done = ? WHERE id = ?').run(done ? 1 : 0, id).changes === 0) throw new NotFoundError(said('staff.error.noSource'));
    },
    /**
     * Journalists' label for a source: ciphertext the route has checked is addressed to exactly their keys (null clears it).
     * `desk`: the desk whose keys it was checked against; a conversation moved since refuses it (409), as replies.add does.
     */
    setLabel(id: string, label: string | null, desk?: number | null): void {
      db.transaction(() => {
        const row = prepared(db, 'SELECT desk_id FROM sources WHERE id = ?').get(id) as { desk_id: number | null } | undefined;
        if (!row) throw new NotFoundError(said('staff.error.noSource'));
        if (desk !== undefined && row.desk_id !== desk) throw new ConflictError(said('staff.rewrap.changed'));
        prepared(db, 'UPDATE sources SET label = ? WHERE id = ?').run(label, id);
      })();
    },
    /** A random per-instance salt for the codename KDF, made on first use. */
    kdfSalt(): string {
      db.prepare("INSERT OR IGNORE INTO settings (name, value) VALUES ('kdf_salt', ?)").run(randomBytes(16).toString('hex'));
      return (db.prepare("SELECT value FROM settings WHERE name = 'kdf_salt'").get() as { value: string }).value;
    },
  };
}
export type SourceRepo = ReturnType<typeof sourceRepo>;
