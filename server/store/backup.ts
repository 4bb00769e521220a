import Database from 'better-sqlite3';
import { existsSync, readdirSync } from 'node:fs';
import { chmod, mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isId } from '../../common/ids.ts';
import { SERVICES, serviceDir } from '../tor/services.ts';
import type { Db } from './db.ts';
import { deleteSubmissionRows, NAMED_OBJECTS_SQL } from './drop.ts';
import { prepared } from './statements.ts';

/**
 * What a backup holds: the database as of one moment, the objects it names, and the onion
 * services' keys (so a restored drop keeps its addresses). Not the TOTP key file: with it, anyone
 * who can open a backup would read every journalist's second factor. It has its own export.
 */
export type Snapshot = { database: Buffer; objects: string[]; tor: { entry: string; bytes: Buffer }[] };

export const DATABASE_ENTRY = 'sealdrop.sqlite';
export const KEY_ENTRY = 'secret.key';
const OBJECT_PREFIX = 'objects/';
// The files tor needs to publish the same address again; tor's own state and the torrc are remade.
const SERVICE_FILES = ['hs_ed25519_secret_key', 'hs_ed25519_public_key', 'hostname'];
const AUTH_FILE = /^[A-Za-z0-9_-]{1,64}\.auth$/;
const TOR_ENTRY = new RegExp(`^tor/(?:(?:${SERVICES.join('|')})/(?:${SERVICE_FILES.join('|')})|journalist/authorized_clients/[A-Za-z0-9_-]{1,64}\\.auth)$`);
/** The longest key file restore accepts (32 raw bytes, or 64 hex digits and a line end). */
export const MAX_KEY_FILE = 128;

/** A backup entry's name that is not one a backup makes: nothing is written for it. */
export class BackupEntryError extends Error {
  override name = 'BackupEntryError';
}

/**
 * A consistent copy of a live database, in memory only: SQLite's serialize API reads every page in
 * one read transaction (a writer waits a moment, as for any read). The online backup API would
 * need a copy on disk, and a copy a kill left behind would keep rows after they were deleted or
 * purged. Objects only ever appear and disappear, never change; one a journalist deleted while
 * the backup ran is left out, and so are the rows that name it, so the snapshot is a state the
 * drop really passed through (with that deletion done). A file gone whose row the live database
 * still holds was not deleted but replaced (a re-wrap swaps pointers, then unlinks the old files;
 * a part sent again): the copy is stale, so it is taken again, a few times, then the backup fails
 * loudly rather than silently leave out material that still exists.
 */
export async function takeSnapshot(db: Db, dataDir: string, _keyFile?: string): Promise<Snapshot> {
  for (let attempt = 1; ; attempt++) {
    const copy = new Database(db.serialize());
    try {
      copy.pragma('foreign_keys = ON');
      const objects = dropMissing(copy, db, path.join(dataDir, 'objects'));
      if (objects) return { database: copy.serialize(), objects, tor: await torFiles(dataDir) };
    } finally {
      copy.close();
    }
    if (attempt === SNAPSHOT_ATTEMPTS) throw new SnapshotError(`Objects the database still names went missing during ${SNAPSHOT_ATTEMPTS} attempts; no backup was written. Run the backup again; if this repeats, objects are missing from the data directory.`);
    await new Promise((resolve) => setTimeout(resolve, 50 * attempt));
  }
}

const SNAPSHOT_ATTEMPTS = 5;

/** Objects the database names went missing while no deletion explains it: no backup is made. */
export class SnapshotError extends Error {
  override name = 'SnapshotError';
}

/** The onion services' keys and the journalist service's client list, as backup entries. */
async function torFiles(dataDir: string): Promise<{ entry: string; bytes: Buffer }[]> {
  const files: string[] = [];
  for (const service of SERVICES) {
    const dir = serviceDir(dataDir, service);
    for (const name of SERVICE_FILES) if (existsSync(path.join(dir, name))) files.push(`${service}/${name}`);
  }
  const clients = path.join(serviceDir(dataDir, 'journalist'), 'authorized_clients');
  if (existsSync(clients)) for (const name of readdirSync(clients).sort()) if (AUTH_FILE.test(name)) files.push(`journalist/authorized_clients/${name}`);
  return Promise.all(files.map(async (f) => ({ entry: `tor/${f}`, bytes: await readFile(path.join(dataDir, 'tor', f)) })));
}

/** The TOTP key file, for its own export (`sealdrop backup --key-file`); null if there is none yet. */
export async function readKeyFile(keyFile: string): Promise<Buffer | null> {
  return existsSync(keyFile) ? readFile(keyFile) : null;
}

/**
 * Leaves out of the copy the rows whose files are gone because the live database deleted them; the
 * objects the copy names, or null when a file is gone but its row is still live (take the copy again).
 */
function dropMissing(copy: Database.Database, live: Db, objectsDir: string): string[] | null {
  const missing = (name: string) => !existsSync(path.join(objectsDir, name));
  const submissions = copy.prepare('SELECT id, manifest_blob FROM submissions').all() as { id: string; manifest_blob: string | null }[];
  const partsOf = copy.prepare('SELECT blob FROM parts WHERE submission_id = ?');
  const gone = submissions.filter((s) => (s.manifest_blob && missing(s.manifest_blob)) || (partsOf.all(s.id) as { blob: string }[]).some((p) => missing(p.blob)));
  const replies = (copy.prepare('SELECT id, blob FROM replies').all() as { id: string; blob: string }[]).filter((r) => missing(r.blob));
  const stillLive = (table: 'submissions' | 'replies', id: string) => live.prepare(`SELECT 1 FROM ${table} WHERE id = ?`).get(id) !== undefined;
  if (gone.some((s) => stillLive('submissions', s.id)) || replies.some((r) => stillLive('replies', r.id))) return null;
  deleteSubmissionRows(copy, gone.map((s) => s.id));
  for (const r of replies) copy.prepare('DELETE FROM replies WHERE id = ?').run(r.id);
  return (copy.prepare(NAMED_OBJECTS_SQL).all() as { b: string }[]).map((n) => n.b);
}

export const objectEntry = (name: string) => `${OBJECT_PREFIX}${name}`;

/**
 * What a file may hold: a backup holds the database, objects and onion keys (and, made by an
 * older Sealdrop, the key file); a key-file export holds the key file alone.
 */
export type BackupKind = 'backup' | 'key-file';

/** Where an entry goes in the data directory being rebuilt; any other name is refused. */
function targetOf(dir: string, entry: string, kind: BackupKind): string {
  if (kind === 'key-file') {
    if (entry === KEY_ENTRY) return path.join(dir, entry);
  } else {
    if (entry === DATABASE_ENTRY || entry === KEY_ENTRY || TOR_ENTRY.test(entry)) return path.join(dir, entry);
    const name = entry.slice(OBJECT_PREFIX.length);
    if (entry.startsWith(OBJECT_PREFIX) && isId(name)) return path.join(dir, 'objects', name);
  }
  throw new BackupEntryError('The backup names a file a backup never holds; it was not made by Sealdrop, or was altered.');
}

/** Makes each directory from `root` down to `dir` 0700, whatever the umask. */
async function privateDirs(root: string, dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  for (let d = dir; d.startsWith(root) && d !== path.dirname(d); d = path.dirname(d)) {
    await chmod(d, 0o700);
    if (d === root) break;
  }
}

/** Writes the entries of a backup into a new data directory, one file (0600) at a time as the bytes come. */
export class RestoreWriter {
  private handle: FileHandle | null = null;
  private written = 0;
  constructor(
    readonly dir: string,
    private readonly kind: BackupKind = 'backup',
  ) {}

  async begin(entry: string): Promise<void> {
    await this.end();
    const file = targetOf(this.dir, entry, this.kind);
    await privateDirs(this.dir, path.dirname(file));
    this.handle = await open(file, 'wx', 0o600);
    await this.handle.chmod(0o600);
    this.written = entry === KEY_ENTRY ? 0 : -1;
  }

  async write(bytes: Uint8Array): Promise<void> {
    // A key file is tiny; a "key file" of gigabytes is not one (and must not fill the disk).
    if (this.written >= 0 && (this.written += bytes.length) > MAX_KEY_FILE) throw new BackupEntryError('The backup\'s key file is too long to be one.');
    await this.handle!.write(bytes);
  }

  async end(): Promise<void> {
    if (!this.handle) return;
    await this.handle.sync();
    await this.handle.close();
    this.handle = null;
  }
}

/** How many journalists' TOTP secrets in a restored database are sealed under a key file. */
export function sealedSecrets(dataDir: string): number {
  const db = new Database(path.join(dataDir, DATABASE_ENTRY), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare("SELECT COUNT(*) AS c FROM journalists WHERE totp_secret LIKE 'v1:%'").get() as { c: number }).c;
  } finally {
    db.close();
  }
}

/**
 * Restore without the key file: every journalist's passphrase and TOTP secret are cleared, so each
 * enrols again through a new link (`sealdrop journalist enrol`). Refused if the database holds a
 * trigger, which no migration makes and which could turn this update into something else.
 */
export function forgetCredentials(dataDir: string): number {
  const db = new Database(path.join(dataDir, DATABASE_ENTRY), { fileMustExist: true });
  try {
    // The cleared values are overwritten in place, and no journal file ever holds them: this
    // directory is thrown away if anything fails, so the rollback journal can live in memory.
    db.pragma('secure_delete = ON');
    db.pragma('journal_mode = MEMORY');
    const triggers = (db.prepare("SELECT COUNT(*) AS c FROM sqlite_master WHERE type = 'trigger'").get() as { c: number }).c;
    if (triggers > 0) throw new BackupEntryError('The restored database holds a trigger, which Sealdrop never makes: it was altered.');
    return prepared(db, 'UPDATE journalists SET password_hash = NULL, totp_secret = NULL WHERE password_hash IS NOT NULL OR totp_secret IS NOT NULL').run().changes;
  } finally {
    db.close();
  }
}
