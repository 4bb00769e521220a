import Database from 'better-sqlite3';
import { closeSync, openSync } from 'node:fs';
import { assertMigratedSchema } from './schema.ts';
import { PRIVATE_FILE } from './permissions.ts';

export type Db = Database.Database;

// Numbered migrations; PRAGMA user_version records how many have run.
export const MIGRATIONS: readonly string[] = [
  `CREATE TABLE journalists (
     id INTEGER PRIMARY KEY,
     username TEXT NOT NULL UNIQUE,
     fingerprint TEXT NOT NULL UNIQUE,
     recipient_key_id TEXT NOT NULL,
     public_key TEXT NOT NULL,
     active INTEGER NOT NULL DEFAULT 1,
     created_day TEXT NOT NULL
   );
   CREATE TABLE sources (
     id TEXT PRIMARY KEY,
     designation TEXT NOT NULL UNIQUE,
     token_hash TEXT NOT NULL UNIQUE,
     created_day TEXT NOT NULL
   );
   CREATE TABLE submissions (
     id TEXT PRIMARY KEY,
     source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
     part_count INTEGER NOT NULL,
     state TEXT NOT NULL CHECK (state IN ('pending', 'complete')),
     manifest_blob TEXT,
     size INTEGER NOT NULL DEFAULT 0,
     created_day TEXT NOT NULL
   );
   CREATE TABLE parts (
     submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
     n INTEGER NOT NULL,
     blob TEXT NOT NULL UNIQUE,
     size INTEGER NOT NULL,
     PRIMARY KEY (submission_id, n)
   );`,
  `ALTER TABLE journalists ADD COLUMN is_admin INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE journalists ADD COLUMN password_hash TEXT;
   ALTER TABLE journalists ADD COLUMN totp_secret TEXT;
   CREATE TABLE enrolments (
     token_hash TEXT PRIMARY KEY,
     journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
     created_day TEXT NOT NULL
   );
   CREATE TABLE seen (
     submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
     journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
     PRIMARY KEY (submission_id, journalist_id)
   );`,
  // Codenames: a source's login secret (hashed) and its own key pair (the private half passphrase-protected).
  `ALTER TABLE sources RENAME COLUMN token_hash TO login_hash;
   ALTER TABLE sources ADD COLUMN public_key TEXT;
   ALTER TABLE sources ADD COLUMN private_key TEXT;
   ALTER TABLE sources ADD COLUMN recipient_key_id TEXT;
   ALTER TABLE sources ADD COLUMN starred INTEGER NOT NULL DEFAULT 0;
   CREATE TABLE replies (
     id TEXT PRIMARY KEY,
     source_id TEXT NOT NULL REFERENCES sources(id) ON DELETE CASCADE,
     blob TEXT NOT NULL UNIQUE,
     size INTEGER NOT NULL,
     created_day TEXT NOT NULL,
     read INTEGER NOT NULL DEFAULT 0
   );
   CREATE TABLE settings (name TEXT PRIMARY KEY, value TEXT NOT NULL);`,
  // The public half of each journalist's onion client-authorisation key (the private half is never kept).
  `ALTER TABLE journalists ADD COLUMN onion_auth TEXT;`,
  // A no-JS upload cut short can never resume, and its source never saw the codename: both are
  // dropped at the next start (a JS upload waits for its page to come back).
  `ALTER TABLE submissions ADD COLUMN resumable INTEGER NOT NULL DEFAULT 1;
   ALTER TABLE sources ADD COLUMN announced INTEGER NOT NULL DEFAULT 1;`,
  // Journalists' own bookkeeping per source: a label only they can read (ciphertext to their keys,
  // made in their page) and whether the conversation is done.
  `ALTER TABLE sources ADD COLUMN label TEXT;
   ALTER TABLE sources ADD COLUMN done INTEGER NOT NULL DEFAULT 0;`,
  // A JS upload answers only to the secret its page made: the SHA-256 of it while pending, erased
  // at completion. Uploads pending before this have none: nobody can resume them, and the
  // abandoned-upload purge drops them.
  `ALTER TABLE submissions ADD COLUMN upload_hash TEXT;`,
  // The newsroom workspace: who wrote each reply (null: written before this, or by a journalist
  // since removed), each journalist's idle auto-lock for the key in their page, and where they are
  // told that something new arrived (null: not told); indexes for a list that stays fast at any size
  // (sources_listed: the list sorts and filters every source without reading its keys).
  `ALTER TABLE replies ADD COLUMN journalist_id INTEGER REFERENCES journalists(id) ON DELETE SET NULL;
   ALTER TABLE journalists ADD COLUMN lock_minutes INTEGER NOT NULL DEFAULT 15;
   ALTER TABLE journalists ADD COLUMN notify_email TEXT;
   ALTER TABLE journalists ADD COLUMN notify_encrypt INTEGER NOT NULL DEFAULT 0;
   CREATE INDEX submissions_by_source ON submissions(source_id, state, created_day);
   CREATE INDEX replies_by_source ON replies(source_id, created_day);
   CREATE INDEX sources_listed ON sources(done, starred, designation, id);`,
  // Desks, keys over years, the two-person rule and the audit log (docs/desks.md).
  // desks.texts: JSON {"<language>": {"name": ..., "description": ...}} as the administrator wrote it.
  // sources.desk_id: the desk the source chose; null = the whole newsroom (no desk existed, or before desks).
  // retired_keys: a journalist's earlier keys, kept so that what is sealed to them is named, and openable.
  // pending_changes: a change to who can read what, waiting for a second administrator (requested_by
  // null: made with the CLI; 'admin': disabling, removing, demoting, resetting, promoting or replacing
  // the onion access key of an administrator, or resetting anyone). AUTOINCREMENT: an id is never
  // used twice, so a confirmation cannot land on a later change that reused a withdrawn one's number.
  // submission_keys: the primary-key fingerprints every object of a submission is sealed to (a
  // journalist outside the conversation's desk sees the items sealed to one of their keys);
  // replies.sealed_to: the same for a reply, as a JSON array.
  // audit_log: staff actions, each entry's hash committing to the previous one (server/audit/).
  // journalists.access_seen: the last audit entry about access this journalist was shown.
  // journalists.login_issued_by: the administrator who was shown this journalist's current enrolment
  // link (who added or reset them); null = the CLI, the first run, or unknown. Whoever held the link
  // could have enrolled as the account, so the two are never each other's second administrator.
  `CREATE TABLE desks (
     id INTEGER PRIMARY KEY,
     name TEXT NOT NULL UNIQUE,
     texts TEXT NOT NULL DEFAULT '{}',
     created_day TEXT NOT NULL
   );
   CREATE TABLE desk_members (
     desk_id INTEGER NOT NULL REFERENCES desks(id) ON DELETE CASCADE,
     journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
     PRIMARY KEY (desk_id, journalist_id)
   );
   ALTER TABLE sources ADD COLUMN desk_id INTEGER REFERENCES desks(id);
   CREATE INDEX sources_by_desk ON sources(desk_id);
   CREATE TABLE retired_keys (
     fingerprint TEXT PRIMARY KEY,
     journalist_id INTEGER NOT NULL REFERENCES journalists(id) ON DELETE CASCADE,
     recipient_key_id TEXT NOT NULL,
     public_key TEXT NOT NULL,
     retired_day TEXT NOT NULL
   );
   CREATE TABLE pending_changes (
     id INTEGER PRIMARY KEY AUTOINCREMENT,
     kind TEXT NOT NULL CHECK (kind IN ('enable', 'key', 'member', 'move', 'admin')),
     payload TEXT NOT NULL,
     requested_by INTEGER REFERENCES journalists(id) ON DELETE CASCADE,
     requested_day TEXT NOT NULL
   );
   CREATE TABLE submission_keys (
     submission_id TEXT NOT NULL REFERENCES submissions(id) ON DELETE CASCADE,
     fingerprint TEXT NOT NULL,
     PRIMARY KEY (submission_id, fingerprint)
   );
   CREATE INDEX submission_keys_by_key ON submission_keys(fingerprint);
   ALTER TABLE replies ADD COLUMN sealed_to TEXT;
   CREATE TABLE audit_log (
     seq INTEGER PRIMARY KEY,
     at TEXT NOT NULL,
     actor TEXT NOT NULL,
     action TEXT NOT NULL,
     detail TEXT NOT NULL,
     hash TEXT NOT NULL
   );
   ALTER TABLE journalists ADD COLUMN access_seen INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE journalists ADD COLUMN login_issued_by INTEGER REFERENCES journalists(id) ON DELETE SET NULL;`,
];

/**
 * Refuses a database file whose schema is not what the migrations made at its own version (a
 * forged backup's trigger, view, table, index or column), without changing a byte of it: for code
 * that must read or write a restored file before the store opens it (restore's two-factor step).
 */
export function assertUntouchedSchema(file: string, migrations: readonly string[] = MIGRATIONS): void {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    db.pragma('trusted_schema = OFF');
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version > migrations.length) throw new MigrationError(`The database is from a newer Sealdrop (schema ${version}); upgrade Sealdrop.`);
    assertMigratedSchema(db, migrations.slice(0, version));
  } finally {
    db.close();
  }
}

/** The database is held by a process that still writes a write-ahead log (an older Sealdrop). */
export class DatabaseBusyError extends Error {
  override name = 'DatabaseBusyError';
}

export function openDb(file: string, migrations: readonly string[] = MIGRATIONS): Db {
  // SQLite creates the file 0644, and gives its rollback journal the database file's own mode:
  // made 0600 first, neither is ever readable by another user, whatever the umask.
  closeSync(openSync(file, 'a', PRIVATE_FILE));
  const db = new Database(file);
  // Functions with side effects may not run from the file's own triggers or views (there should be none; see schema.ts).
  db.pragma('trusted_schema = OFF');
  // Set first: the switch below waits for another process (the CLI beside the server) instead of failing.
  db.pragma('busy_timeout = 5000');
  // Deleted rows and freed pages are overwritten with zeros, so a seized disk does not keep what was purged.
  db.pragma('secure_delete = ON');
  useRollbackJournal(db, file);
  // Sorts and statement journals stay in memory: no temp file ever holds a row.
  db.pragma('temp_store = MEMORY');
  db.pragma('foreign_keys = ON');
  try {
    migrate(db, migrations);
  } catch (error) {
    db.close();
    throw error;
  }
  return db;
}

/**
 * A write-ahead log keeps every version of every page it saw, deleted rows included, until a
 * checkpoint, and the file stays readable beside the database. A rollback journal holds only
 * the pages of the transaction in flight and is emptied at commit; with synchronous=FULL the
 * truncation is synced, so commits stay atomic and durable. Switching an existing WAL database
 * checkpoints it and removes the -wal and -shm files.
 */
function useRollbackJournal(db: Db, file: string): void {
  let mode: unknown;
  try {
    mode = db.pragma('journal_mode = TRUNCATE', { simple: true });
  } catch (error) {
    db.close();
    throw new DatabaseBusyError(`${file} is in use by another process that keeps a write-ahead log (${(error as Error).message}); stop it and start again.`);
  }
  if (mode !== 'truncate') {
    db.close();
    throw new DatabaseBusyError(`${file} could not leave journal mode "${String(mode)}"; stop every other Sealdrop process and start again.`);
  }
  db.pragma('synchronous = FULL');
}

/** A migration failed: the database was left as it was, at schema `from`. */
export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Runs every pending migration in one transaction: an upgrade that fails part-way (a full disk, a
 * bug, a kill) leaves the database exactly as the old version left it, still usable by it.
 */
function migrate(db: Db, migrations: readonly string[]): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version > migrations.length) {
    throw new MigrationError(`The database is from a newer Sealdrop (schema ${version}); upgrade Sealdrop.`);
  }
  // Checked before the upgrade runs on it, and again after: a forged file is refused unchanged.
  assertMigratedSchema(db, migrations.slice(0, version));
  if (version === migrations.length) return;
  try {
    db.transaction(() => {
      for (let i = version; i < migrations.length; i++) db.exec(migrations[i]!);
      db.pragma(`user_version = ${migrations.length}`);
    })();
  } catch (error) {
    throw new MigrationError(`Upgrading the database from schema ${version} to ${migrations.length} failed, and it was left as it was: ${(error as Error).message}`);
  }
  assertMigratedSchema(db, migrations);
}
