import Database from 'better-sqlite3';
import { UntrustedDatabaseError } from './trust.ts';

type Db = Database.Database;

// A database file's schema is data like any other: a forged backup could carry a trigger that
// rewrites `public_key` on every insert, a view shadowing a table's meaning, or a column that
// changes what a query returns. Every open compares it with what the migrations themselves make
// (an in-memory database migrated to the same version), so a new migration needs no change here.
//
// The comparison is structural, not textual: ALTER TABLE rewrites the stored CREATE text, and
// databases upgraded from older versions carry their own whitespace. Names and types of every
// schema object, each table's columns (type, NOT NULL, default, key, hidden/generated), its
// foreign keys and indexes, and each index's columns are compared. Any trigger or view, or any
// table or index the migrations did not make, is a difference.

const expected = new Map<string, Map<string, string>>();

/** Refuses the database unless its schema is exactly what `migrations` make. */
export function assertMigratedSchema(db: Db, migrations: readonly string[]): void {
  const want = expectedSchema(migrations);
  const have = schemaOf(db, [...want.keys()]);
  for (const [name, shape] of have) {
    if (!want.has(name)) throw new UntrustedDatabaseError('schema_altered', `The database holds ${describe(name)} that Sealdrop's migrations never create`);
    if (want.get(name) !== shape) throw new UntrustedDatabaseError('schema_altered', `The database's ${describe(name)} differs from what Sealdrop's migrations make`);
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
      schema = schemaOf(fresh, null);
    } finally {
      fresh.close();
    }
    expected.set(key, schema);
  }
  return schema;
}

// Names are written only through JSON, so a hostile name can say nothing in the message but itself.
const describe = (name: string) => `the ${name.split('\0')[0]} ${JSON.stringify(name.split('\0')[1]?.slice(0, 64))}`;

/**
 * Every schema object, keyed by type and name, with its structure. `known` limits the detailed
 * reads to names the migrations make: a name never seen is already a difference, and its pragmas
 * are not worth running.
 */
function schemaOf(db: Db, known: string[] | null): Map<string, string> {
  const objects = db.prepare('SELECT type, name, tbl_name AS tbl FROM sqlite_schema ORDER BY type, name').all() as { type: string; name: string; tbl: string }[];
  const wanted = known && new Set(known);
  const shapes = new Map<string, string>();
  for (const o of objects) {
    const id = `${o.type}\0${o.name}`;
    shapes.set(id, wanted && !wanted.has(id) ? 'unknown' : JSON.stringify([o.tbl, ...detail(db, o.type, o.name)]));
  }
  return shapes;
}

function detail(db: Db, type: string, name: string): unknown[] {
  const all = (sql: string) => db.prepare(sql).all(name);
  if (type === 'table') {
    return [
      all('SELECT type, ncol, wr, strict FROM pragma_table_list(?)'),
      all('SELECT cid, name, type, "notnull", dflt_value, pk, hidden FROM pragma_table_xinfo(?)'),
      all('SELECT id, seq, "table", "from", "to", on_update, on_delete, "match" FROM pragma_foreign_key_list(?)'),
      all('SELECT name, "unique", origin, partial FROM pragma_index_list(?) ORDER BY name'),
    ];
  }
  if (type === 'index') return [all('SELECT seqno, cid, name, "desc", coll, "key" FROM pragma_index_xinfo(?)')];
  return [];
}
