import type { Db } from './db.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { today } from './day.ts';

export type Journalist = {
  username: string;
  fingerprint: string;
  recipientKeyId: string;
  publicKey: string;
  active: boolean;
  createdDay: string;
};
export type NewJournalist = Pick<Journalist, 'username' | 'fingerprint' | 'recipientKeyId' | 'publicKey'>;

type Row = { username: string; fingerprint: string; recipient_key_id: string; public_key: string; active: number; created_day: string };
const toJournalist = (r: Row): Journalist => ({
  username: r.username,
  fingerprint: r.fingerprint,
  recipientKeyId: r.recipient_key_id,
  publicKey: r.public_key,
  active: r.active === 1,
  createdDay: r.created_day,
});

export function journalistRepo(db: Db) {
  return {
    add(j: NewJournalist): Journalist {
      const clash = db.prepare('SELECT username FROM journalists WHERE username = ? OR fingerprint = ?').get(j.username, j.fingerprint);
      if (clash) throw new ConflictError('A journalist with this username or this key already exists.');
      db.prepare(
        'INSERT INTO journalists (username, fingerprint, recipient_key_id, public_key, created_day) VALUES (?, ?, ?, ?, ?)',
      ).run(j.username, j.fingerprint, j.recipientKeyId, j.publicKey, today());
      return this.get(j.username);
    },
    get(username: string): Journalist {
      const row = db.prepare('SELECT * FROM journalists WHERE username = ?').get(username) as Row | undefined;
      if (!row) throw new NotFoundError(`No journalist named "${username}".`);
      return toJournalist(row);
    },
    list(): Journalist[] {
      return (db.prepare('SELECT * FROM journalists ORDER BY username').all() as Row[]).map(toJournalist);
    },
    /** The keys every new object must be encrypted to. */
    active(): Journalist[] {
      return this.list().filter((j) => j.active);
    },
    remove(username: string): void {
      const { changes } = db.prepare('DELETE FROM journalists WHERE username = ?').run(username);
      if (changes === 0) throw new NotFoundError(`No journalist named "${username}".`);
    },
  };
}
export type JournalistRepo = ReturnType<typeof journalistRepo>;
