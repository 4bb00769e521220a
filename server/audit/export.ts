import { GENESIS, checkChain, type AuditBreak, type ChainCheck, type ChainRow, type Store } from '../store/index.ts';

// The audit log as the newsroom keeps it in its own archive: one JSON object a line, every field of
// every entry (its hash included), oldest first, then a last line naming the head. Kept apart from
// the drop, the file pins the chain: an entry edited, removed or cut off the end of the database
// after the export no longer matches it.

/** The export's last line. */
export type ExportHead = { head: { seq: number; hash: string }; entries: number };
/** A file that is not an export (or was cut short): which line, and what is wrong with it. */
export class AuditFileError extends Error {
  override name = 'AuditFileError';
  readonly code = 'audit_file';
}

const PAGE = 1000;

/** Every entry as one line, oldest first, then the head; read a page at a time so a long log is never held whole. */
export function* exportLines(store: Store): Generator<string> {
  let after = 0;
  let count = 0;
  let head = { seq: 0, hash: GENESIS };
  for (;;) {
    const page = store.audit.entries(after, PAGE);
    for (const e of page) {
      yield `${JSON.stringify({ seq: e.seq, at: e.at, actor: e.actor, action: e.action, detail: e.detail, hash: e.hash })}\n`;
      head = { seq: e.seq, hash: e.hash };
      count++;
    }
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.seq;
  }
  yield `${JSON.stringify({ head, entries: count } satisfies ExportHead)}\n`;
}

const isText = (v: unknown): v is string => typeof v === 'string';
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** One entry line, its detail back to the JSON text its hash was made over. */
function entryLine(value: unknown, line: number): ChainRow {
  const o = value as Record<string, unknown>;
  if (typeof o !== 'object' || o === null || !isSeq(o.seq) || !isText(o.at) || !isText(o.actor) || !isText(o.action) || !isText(o.hash) || typeof o.detail !== 'object' || o.detail === null) {
    throw new AuditFileError(`line ${line} is not an audit entry (seq, at, actor, action, detail, hash)`);
  }
  return { seq: o.seq, at: o.at, actor: o.actor, action: o.action, detail: JSON.stringify(o.detail), hash: o.hash };
}

/** An export's entries and its head line; refuses anything else, naming the line. */
export function readExport(text: string): { rows: ChainRow[]; head: ExportHead['head'] } {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  const parsed = lines.map((l, i) => {
    try {
      return JSON.parse(l) as unknown;
    } catch {
      throw new AuditFileError(`line ${i + 1} is not JSON`);
    }
  });
  const last = parsed.pop() as Partial<ExportHead> | undefined;
  if (!last || typeof last.head !== 'object' || last.head === null || !isSeq(last.head.seq) || !isText(last.head.hash)) {
    throw new AuditFileError('its last line does not name the head ({"head": {"seq", "hash"}}): the file is cut short or is not an export');
  }
  return { rows: parsed.map((v, i) => entryLine(v, i + 1)), head: { seq: last.head.seq, hash: last.head.hash } };
}

/** What checking an export found: its own chain, then where the database no longer agrees with it. */
export type ExportCheck = { file: ChainCheck; database: ChainCheck; broken: AuditBreak | null; where: 'file' | 'database' | null };

/**
 * The file's chain must hold and end at its head line; the database's own chain must hold; and
 * every entry of the file must be in the database unchanged (the same hash at the same seq, which
 * commits to everything before it). Entries appended after the export are fine.
 */
export function verifyExport(text: string, store: Store): ExportCheck {
  const { rows, head } = readExport(text);
  const file = checkChain(rows);
  const database = store.audit.check();
  const found = (broken: AuditBreak | null, where: 'file' | 'database'): ExportCheck => ({ file, database, broken, where: broken ? where : null });
  if (file.broken) return found(file.broken, 'file');
  if (file.head.seq !== head.seq || file.head.hash !== head.hash) {
    return found({ seq: head.seq, why: `the file's last line names head ${head.seq} but its entries end at ${file.head.seq}: entries were cut from the file` }, 'file');
  }
  if (database.broken) return found(database.broken, 'database');
  if (database.head.seq < head.seq) return found({ seq: database.head.seq + 1, why: `it is in the export but missing from the database (which ends at entry ${database.head.seq})` }, 'database');
  for (let after = 0; after < head.seq; after += PAGE) {
    for (const e of store.audit.entries(after, Math.min(PAGE, head.seq - after))) {
      if (e.hash !== rows[e.seq - 1]!.hash) return found({ seq: e.seq, why: 'it differs in the database from the exported entry' }, 'database');
    }
  }
  return found(null, 'database');
}
