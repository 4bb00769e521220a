import Database from 'better-sqlite3';
import { UntrustedDatabaseError } from './trust.ts';
import { prepared } from './statements.ts';

type Db = Database.Database;

// A database file's schema is data like any other: a forged backup could carry a trigger that
// rewrites `public_key` on every insert, a view shadowing a table's meaning, a column that changes
// what a query returns, or a CHECK, ON CONFLICT or COLLATE clause that makes an UPDATE fail (a
// planted journalist who cannot be disabled) or an INSERT replace a row. Every open compares it
// with what the migrations themselves make (an in-memory database migrated to the same version),
// so a new migration needs no change here.
//
// The comparison is of the stored text itself: type, name, table and the exact CREATE statement of
// every sqlite_schema entry. SQLite builds its schema by parsing that text, so equal text is equal
// meaning, clause for clause. ALTER TABLE ADD/RENAME COLUMN rewrite the stored text the same way
// whenever they run, so a database upgraded step by step holds the same text as one migrated in a
// single go (every fixture in tests/fixtures/schema does; tests/integration/migrations.test.ts).

const expected = new Map<string, Map<string, string>>();

/** Refuses the database unless its schema is exactly what `migrations` make. */
export function assertMigratedSchema(db: Db, migrations: readonly string[]): void {
  const want = expectedSchema(migrations);
  const have = schemaOf(db);
  for (const [name, text] of have) {
    if (!want.has(name)) throw new UntrustedDatabaseError('schema_altered', `The database holds ${describe(name)} that Sealdrop's migrations never create`);
    if (want.get(name) !== text) throw new UntrustedDatabaseError('schema_altered', `The database's ${describe(name)} differs from what Sealdrop's migrations make`);
  }
  for (const name of want.keys()) {
    if (!have.has(name)) throw new UntrustedDatabaseError('schema_altered', `The database lacks ${describe(name)}`);
  }
}

function expectedSchema(migrations: readonly string[]): Map<string, string> {
  const key = migrations.join('\0');
  let schema = expected.get(key);
  if (!schema) {
    const fresh = new Database(':memory:');
    try {
      for (const m of migrations) fresh.exec(m);
      schema = schemaOf(fresh);
    } finally {
      fresh.close();
    }
    expected.set(key, schema);
  }
  return schema;
}

// Names are written only through JSON, so a hostile name can say nothing in the message but itself.
const describe = (name: string) => `the ${name.split('\0')[0]} ${JSON.stringify(name.split('\0')[1]?.slice(0, 64))}`;

/** Every schema object, keyed by type and name, with its table and its stored CREATE text (null for automatic indexes). */
function schemaOf(db: Db): Map<string, string> {
  const objects = prepared(db, 'SELECT type, name, tbl_name AS tbl, sql FROM sqlite_schema').all() as { type: string; name: string; tbl: string; sql: string | null }[];
  return new Map(objects.map((o) => [`${o.type}\0${o.name}`, JSON.stringify([o.tbl, o.sql])]));
}
