import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import { today } from './day.ts';
import { prepared } from './statements.ts';

// The audit log: every staff action, appended, each entry's hash committing to the one before, so
// an entry edited, removed or inserted in the database breaks the chain from there on (verify).
// It never holds source data: no designation, label, file name, size or count of what a source
// sent. Staff actions are dated to the second; anything a source caused only to the day.

/**
 * Who acted: a journalist's username, 'cli' (a command beside the server), 'system' (a timer) or
 * 'anonymous' (nobody logged in: a failed login, whose detail holds the username tried).
 */
export type AuditActor = { username: string } | 'cli' | 'system' | 'anonymous';
/** Details are flat: strings, numbers, booleans or lists of strings (fingerprints, usernames). */
export type AuditDetail = Record<string, string | number | boolean | string[]>;
export type AuditEntry = { seq: number; at: string; actor: string; action: string; detail: AuditDetail; hash: string };
export type AuditInput = { actor: AuditActor; action: string; detail?: AuditDetail; /** true: a source caused it; dated to the day. */ sourceCaused?: boolean };
export type AuditBreak = { seq: number; why: string };

/** The hash an entry's predecessor is taken to have when it is the first. */
export const GENESIS = '0'.repeat(64);
const ACTION = /^[a-z][a-z0-9_.-]{0,63}$/;

const actorName = (a: AuditActor): string => (typeof a === 'string' ? a : `journalist:${a.username}`);
/** To the second for staff actions (ISO, UTC); to the day for what a source caused. */
const stamp = (sourceCaused: boolean, now = new Date()): string => (sourceCaused ? today(now) : `${now.toISOString().slice(0, 19)}Z`);

/** What an entry's hash commits to: its predecessor's hash and every field but its own hash. */
export function entryHash(previous: string, e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(`${previous}\n${JSON.stringify([e.seq, e.at, e.actor, e.action, e.detail])}`).digest('hex');
}

/** An entry as stored: its detail still the JSON text (an export's lines are checked in this form too). */
export type ChainRow = { seq: number; at: string; actor: string; action: string; detail: string; hash: string };
type Row = ChainRow;
/** What a check of the chain found: the first break (null: none), how many entries it read and the last one. */
export type ChainCheck = { broken: AuditBreak | null; count: number; head: { seq: number; hash: string } };

/**
 * Walks entries oldest first from GENESIS: each must be the next seq and its hash must follow from
 * its content and its predecessor's hash. A removed entry is named by its own seq (it is missing);
 * an edited or forged one by its seq; entries in another order break at the first out of place.
 * Removing the newest entries leaves a shorter chain that holds: a head written down elsewhere
 * (an export's last line) is what catches that. `from`: where an earlier slice of the walk ended.
 */
export function checkChain(rows: Iterable<ChainRow>, from: Omit<ChainCheck, 'broken'> = { count: 0, head: { seq: 0, hash: GENESIS } }): ChainCheck {
  let { head, count } = from;
  for (const r of rows) {
    const expected = head.seq + 1;
    if (r.seq !== expected) {
      const why = r.seq > expected ? `it is missing (entry ${r.seq} follows entry ${head.seq})` : `entry ${r.seq} appears again after entry ${head.seq}`;
      return { broken: { seq: r.seq > expected ? expected : r.seq, why }, count, head };
    }
    let detail: AuditDetail;
    try {
      detail = JSON.parse(r.detail) as AuditDetail;
    } catch {
      return { broken: { seq: r.seq, why: 'its detail is not JSON' }, count, head };
    }
    if (entryHash(head.hash, { ...r, detail }) !== r.hash) return { broken: { seq: r.seq, why: 'its hash does not follow from its content and the entry before it' }, count, head };
    head = { seq: r.seq, hash: r.hash };
    count++;
  }
  return { broken: null, count, head };
}

const toEntry = (r: Row): AuditEntry => ({ ...r, detail: JSON.parse(r.detail) as AuditDetail });

export function auditRepo(db: Db) {
  const last = db.prepare('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1');
  const insert = db.prepare('INSERT INTO audit_log (seq, at, actor, action, detail, hash) VALUES (?, ?, ?, ?, ?, ?)');
  // IMMEDIATE: a CLI process appending beside the server waits for the write lock instead of
  // reading the same predecessor and forking the chain.
  const appendOne = db.transaction((input: AuditInput): AuditEntry => {
    if (!ACTION.test(input.action)) throw new RangeError(`audit action ${JSON.stringify(input.action)} is not a-z0-9._-`);
    const prev = last.get() as { seq: number; hash: string } | undefined;
    const base = { seq: (prev?.seq ?? 0) + 1, at: stamp(input.sourceCaused === true), actor: actorName(input.actor), action: input.action, detail: input.detail ?? {} };
    const hash = entryHash(prev?.hash ?? GENESIS, base);
    insert.run(base.seq, base.at, base.actor, base.action, JSON.stringify(base.detail), hash);
    return { ...base, hash };
  });

  const check = db.transaction((): ChainCheck => checkChain(db.prepare('SELECT * FROM audit_log ORDER BY seq').iterate() as IterableIterator<ChainRow>));

  return {
    /** Appends one entry; call it inside the action's own transaction where there is one. */
    append: (input: AuditInput): AuditEntry => appendOne.immediate(input),
    /** Entries after `afterSeq`, oldest first, at most `limit`. */
    entries: (afterSeq = 0, limit = 1000): AuditEntry[] =>
      (prepared(db, 'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as Row[]).map(toEntry),
    /** Newest first: the web page's view. */
    latest: (limit = 100, beforeSeq = Number.MAX_SAFE_INTEGER): AuditEntry[] =>
      (prepared(db, 'SELECT * FROM audit_log WHERE seq < ? ORDER BY seq DESC LIMIT ?').all(beforeSeq, limit) as Row[]).map(toEntry),
    /** Entries after `afterSeq` as stored (detail as JSON text), oldest first: for checking the chain a slice at a time. */
    rows: (afterSeq: number, limit: number): ChainRow[] => prepared(db, 'SELECT * FROM audit_log WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as ChainRow[],
    /** Entries whose action starts with `prefix` (for example 'access.'), after `afterSeq`, oldest first. */
    withPrefix: (prefix: string, afterSeq = 0, limit = 1000): AuditEntry[] =>
      (db.prepare("SELECT * FROM audit_log WHERE seq > ? AND substr(action, 1, length(?)) = ? ORDER BY seq LIMIT ?").all(afterSeq, prefix, prefix, limit) as Row[]).map(toEntry),
    /** The chain's head (seq 0 and GENESIS when empty): written down elsewhere, it pins everything before it. */
    head: (): { seq: number; hash: string } => (last.get() as { seq: number; hash: string } | undefined) ?? { seq: 0, hash: GENESIS },
    /** The first entry that does not follow from its predecessor, or null when the whole chain holds. */
    verify: (): AuditBreak | null => check().broken,
    /** The whole check with what it covered, read in one snapshot so the count and head are the ones checked. */
    check,
  };
}
export type AuditRepo = ReturnType<typeof auditRepo>;
