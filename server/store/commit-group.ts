import type { Db } from './db.ts';

/**
 * Row changes that arrive together commit together. With a rollback journal and
 * synchronous=FULL each commit costs several fsyncs (12-15 ms on the event loop), so a part per
 * commit capped how many parts the server could store per second. A change queued here runs at
 * the next turn of the event loop with every other change queued meanwhile, in ONE transaction,
 * each inside its own savepoint: a change that throws (its submission completed or discarded
 * meanwhile) is undone alone and fails only its caller. If the transaction itself fails (a full
 * disk at COMMIT, an I/O error that rolled it back), every caller of the group is refused and
 * nothing of the group is stored. Each promise settles only after the COMMIT that holds (or
 * refused) its change, so "answered" still means "durable".
 */
export type CommitGroup = { run<T>(change: () => T): Promise<T> };

const groups = new WeakMap<Db, CommitGroup>();

/** The connection's one group: every repository queuing on it (parts, folded sends) shares its commits. */
export function commitGroupOf(db: Db): CommitGroup {
  let group = groups.get(db);
  if (!group) groups.set(db, (group = commitGroup(db)));
  return group;
}

type Queued = { change: () => unknown; resolve: (value: unknown) => void; reject: (error: unknown) => void };
type Outcome = { ok: true; value: unknown } | { ok: false; error: unknown };

export function commitGroup(db: Db): CommitGroup {
  let queue: Queued[] = [];
  let scheduled = false;

  const flush = (): void => {
    scheduled = false;
    const group = queue;
    queue = [];
    let outcomes: Outcome[];
    try {
      outcomes = db.transaction(() => group.map((q) => runInSavepoint(db, q.change)))();
    } catch (error) {
      for (const q of group) q.reject(error);
      return;
    }
    group.forEach((q, i) => {
      const o = outcomes[i]!;
      if (o.ok) q.resolve(o.value);
      else q.reject(o.error);
    });
  };

  return {
    run<T>(change: () => T): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        queue.push({ change, resolve: resolve as (value: unknown) => void, reject });
        if (scheduled) return;
        scheduled = true;
        // Not a microtask: I/O completions of the same turn (other parts' blobs) join this group.
        setImmediate(flush);
      });
    },
  };
}

/** One change in a savepoint (better-sqlite3 nests transactions that way); its refusal undoes only it. */
function runInSavepoint(db: Db, change: () => unknown): Outcome {
  try {
    return { ok: true, value: db.transaction(change)() };
  } catch (error) {
    // SQLite rolls back the whole transaction on some errors (SQLITE_FULL, an I/O error): the
    // group is gone, so it must fail whole; a next change must not run, and commit, on its own.
    if (!db.inTransaction) throw error;
    return { ok: false, error };
  }
}
