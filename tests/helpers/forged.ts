import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { PublicKey } from '../../common/envelope/index.ts';
import { writeBackup } from '../../server/cli/backup.ts';
import { openStore, type Store } from '../../server/store/index.ts';

// Forged data directories and backups (tests/security/forged-*.test.ts): rows written past the
// store, as an attacker holding the file (or sealing a backup to a public key) can.

/** Runs one statement on the data directory's database, past every check of the store. */
export function raw(dir: string, sql: string, ...params: unknown[]): void {
  const db = new Database(path.join(dir, 'sealdrop.sqlite'));
  try {
    db.prepare(sql).run(...params);
  } finally {
    db.close();
  }
}

/** The error opening the store throws, or null if it opened. */
export function refusal(dir: string): (Error & { code?: string }) | null {
  let store: Store;
  try {
    store = openStore(dir);
  } catch (error) {
    return error as Error & { code?: string };
  }
  store.close();
  return null;
}

/**
 * A backup of `dir`'s database as it is (no object, no key file), sealed with Sealdrop's own
 * backup code to `to`: all an attacker needs is the newsroom's public key. Returns its SHA-256.
 */
export async function sealedBackup(dir: string, out: string, to: PublicKey[]): Promise<string> {
  const db = new Database(path.join(dir, 'sealdrop.sqlite'), { readonly: true });
  const database = db.serialize();
  db.close();
  const snapshot = { database, objects: [], keyFile: null, tor: [] };
  await writeBackup({ snapshot: async () => snapshot } as unknown as Store, dir, out, to);
  return createHash('sha256').update(await readFile(out)).digest('hex');
}
