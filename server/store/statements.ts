import type Database from 'better-sqlite3';

/** Statements kept per connection: enough for every fixed query in the store, with room for a few built per call. */
const MOST = 512;
const kept = new WeakMap<Database.Database, Map<string, Database.Statement>>();

/**
 * A statement for `sql` on `db`, prepared once and handed out again to the next call: the
 * repositories prepared their SQL on every call (`db.prepare(…).get(…)`), and under
 * load_200_sources the parsing and planning was about 1.2 s of a 20 s profile. For a statement
 * used at once and not kept (`prepared(db, sql).get(…)`): two callers get the same object, so
 * - its result mode is cleared each time (`pluck`, `raw` and `expand` stay set on a statement);
 *   `bind` and `safeIntegers`, which stay too, are never called on one;
 * - one still being iterated (`busy`) is not handed out: a new one is;
 * - text built per call stays bounded: past MOST, the oldest goes.
 * A statement a repository keeps (and may set a mode on) is prepared with db.prepare, its own.
 */
export function prepared(db: Database.Database, sql: string): Database.Statement {
  let statements = kept.get(db);
  if (!statements) kept.set(db, (statements = new Map()));
  const statement = statements.get(sql);
  if (statement && !statement.busy) {
    if (statement.reader) statement.pluck(false).raw(false).expand(false);
    return statement;
  }
  const made = db.prepare(sql);
  if (!statement) {
    if (statements.size >= MOST) statements.delete(statements.keys().next().value!);
    statements.set(sql, made);
  }
  return made;
}
