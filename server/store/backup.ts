import Database from 'better-sqlite3';
import { existsSync } from 'node:fs';
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { isId } from '../../common/ids.ts';
import type { Db } from './db.ts';
import { deleteSubmissionRows, NAMED_OBJECTS_SQL } from './drop.ts';

/** What a backup holds: the database as of one moment, the objects it names, and the TOTP key file. */
export type Snapshot = { database: Buffer; objects: string[]; keyFile: Buffer | null };

export const DATABASE_ENTRY = 'sealdrop.sqlite';
export const KEY_ENTRY = 'secret.key';
const OBJECT_PREFIX = 'objects/';

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
 * drop really passed through (with that deletion done).
 */
export async function takeSnapshot(db: Db, dataDir: string, keyFile: string): Promise<Snapshot> {
  const copy = new Database(db.serialize());
  try {
    copy.pragma('foreign_keys = ON');
    const objects = dropMissing(copy, path.join(dataDir, 'objects'));
    return { database: copy.serialize(), objects, keyFile: existsSync(keyFile) ? await readFile(keyFile) : null };
  } finally {
    copy.close();
  }
}

function dropMissing(copy: Database.Database, objectsDir: string): string[] {
  const missing = (name: string) => !existsSync(path.join(objectsDir, name));
  const submissions = copy.prepare('SELECT id, manifest_blob FROM submissions').all() as { id: string; manifest_blob: string | null }[];
  const partsOf = copy.prepare('SELECT blob FROM parts WHERE submission_id = ?');
  const gone = submissions.filter((s) => (s.manifest_blob && missing(s.manifest_blob)) || (partsOf.all(s.id) as { blob: string }[]).some((p) => missing(p.blob)));
  deleteSubmissionRows(copy, gone.map((s) => s.id));
  for (const r of copy.prepare('SELECT id, blob FROM replies').all() as { id: string; blob: string }[]) {
    if (missing(r.blob)) copy.prepare('DELETE FROM replies WHERE id = ?').run(r.id);
  }
  return (copy.prepare(NAMED_OBJECTS_SQL).all() as { b: string }[]).map((n) => n.b);
}

export const objectEntry = (name: string) => `${OBJECT_PREFIX}${name}`;

/** Where an entry goes in the data directory being rebuilt; any other name is refused. */
function targetOf(dir: string, entry: string): string {
  if (entry === DATABASE_ENTRY || entry === KEY_ENTRY) return path.join(dir, entry);
  const name = entry.slice(OBJECT_PREFIX.length);
  if (entry.startsWith(OBJECT_PREFIX) && isId(name)) return path.join(dir, 'objects', name);
  throw new BackupEntryError('The backup names a file a backup never holds; it was not made by Sealdrop, or was altered.');
}

/** Writes the entries of a backup into a new data directory, one file at a time as the bytes come. */
export class RestoreWriter {
  private handle: FileHandle | null = null;
  constructor(readonly dir: string) {}

  async begin(entry: string): Promise<void> {
    await this.end();
    const file = targetOf(this.dir, entry);
    await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    this.handle = await open(file, 'wx', 0o600);
  }

  async write(bytes: Uint8Array): Promise<void> {
    await this.handle!.write(bytes);
  }

  async end(): Promise<void> {
    if (!this.handle) return;
    await this.handle.sync();
    await this.handle.close();
    this.handle = null;
  }
}
