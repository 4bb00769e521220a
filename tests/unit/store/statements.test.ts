// Statements prepared once per connection and handed out again (server/store/statements.ts): the
// same object for the same SQL, and nothing a previous caller did to it shows through.
import Database from 'better-sqlite3';
import { expect, test } from 'vitest';
import { prepared } from '../../../server/store/statements.ts';

function table() {
  const db = new Database(':memory:');
  db.exec('CREATE TABLE t (n INTEGER, s TEXT); INSERT INTO t VALUES (1, \'a\'), (2, \'b\'), (3, \'c\')');
  return db;
}

test('the same SQL on one connection is prepared once; another connection gets its own', () => {
  const db = table();
  const other = table();
  const sql = 'SELECT s FROM t WHERE n = ?';
  expect(prepared(db, sql)).toBe(prepared(db, sql));
  expect(prepared(other, sql)).not.toBe(prepared(db, sql));
  expect(prepared(db, sql).get(2)).toEqual({ s: 'b' });
});

test('a mode one caller set (pluck, raw, expand) is cleared for the next', () => {
  const db = table();
  const sql = 'SELECT n, s FROM t WHERE n = ?';
  expect(prepared(db, sql).pluck().get(1)).toBe(1);
  expect(prepared(db, sql).get(1)).toEqual({ n: 1, s: 'a' });
  expect(prepared(db, sql).raw().get(2)).toEqual([2, 'b']);
  expect(prepared(db, sql).get(2)).toEqual({ n: 2, s: 'b' });
  expect(prepared(db, sql).expand().get(3)).toEqual({ t: { n: 3, s: 'c' } });
  expect(prepared(db, sql).all(3)).toEqual([{ n: 3, s: 'c' }]);
});

test('one still being iterated is not handed out: the caller gets a statement of its own', () => {
  const db = table();
  const sql = 'SELECT n FROM t ORDER BY n';
  const seen: number[][] = [];
  for (const row of prepared(db, sql).iterate() as IterableIterator<{ n: number }>) {
    seen.push([row.n, ...(prepared(db, sql).pluck().all() as number[])]);
  }
  expect(seen).toEqual([[1, 1, 2, 3], [2, 1, 2, 3], [3, 1, 2, 3]]);
  expect(prepared(db, sql).busy).toBe(false);
});

test('SQL built per call stays bounded: the oldest statement goes first', () => {
  const db = table();
  const first = prepared(db, 'SELECT 0');
  for (let i = 1; i <= 600; i++) prepared(db, `SELECT ${i}`);
  expect(prepared(db, 'SELECT 0')).not.toBe(first);
  expect(prepared(db, 'SELECT 600').pluck().get()).toBe(600);
});
