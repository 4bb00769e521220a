// Folded sends (POST /api/sends, docs/envelope.md "Folded sends"): one request may register a new
// source, open its submissions, store a part and the manifest and complete the item, in ONE
// transaction, so that a refusal anywhere stores nothing and a repeated request changes nothing.
// That transaction is a savepoint of the connection's commit group (commit-group.ts): requests
// arriving together share one synchronous commit, and everything fold checks (the item's state,
// the desk, a repeated part or registration) is checked inside the savepoint, so two requests of
// one item in one group behave as two transactions one after the other.
import type { BlobStore } from './blobs.ts';
import { commitGroupOf } from './commit-group.ts';
import type { Db } from './db.ts';
import { today } from './day.ts';
import { ConflictError, NotFoundError } from './errors.ts';
import { hashOf, type SubmissionRepo } from './submissions.ts';
import type { NewSource, SourceRepo } from './sources.ts';
import { said } from '../i18n/said.ts';

// The submission a send's secret names: derived from it (common/send-id.ts says why).
import { sendIdOf } from '../../common/send-id.ts';
import { prepared } from './statements.ts';
export { sendIdOf };

export type SendState =
  | { state: 'none'; id: string }
  | { state: 'pending'; id: string; sourceId: string; partCount: number; parts: number[]; manifest: boolean }
  | { state: 'complete'; id: string; sourceId: string };

/** Who sends: a source already known (its session, or its submission), or a new one whose key pair the route checked. */
export type Sender = { sourceId: string } | { register: NewSource; deskId: number | null };
export type Fold = {
  sender: Sender;
  secret: string;
  parts: number;
  /** Other items of the same send, opened now so that a server restart (sessions end) cannot stop them. */
  reserve: { secret: string; parts: number }[];
  part: { n: number; data: Uint8Array } | null;
  manifest: Uint8Array | null;
  /** Every object of the item is in this request and was checked against these keys: complete it in the same transaction. */
  complete: { fingerprints: string[]; desk: number | null } | null;
  /** Called once the objects are on disk, before the transaction (the keys may have changed during the writes); if it throws, nothing is kept. */
  recheck?: () => Promise<void>;
};
/** `already`: the item was complete before this request (a repeat): nothing was stored, and nobody is to be told again. */
export type Folded = { id: string; sourceId: string; whole: boolean; done: boolean; already: boolean };

type Row = { source_id: string; part_count: number; state: string; manifest_blob: string | null; upload_hash: string | null };

export function sendRepo(db: Db, blobs: BlobStore, submissions: SubmissionRepo, sources: SourceRepo) {
  const group = commitGroupOf(db);
  const rowOf = (secret: string): Row | undefined => {
    const row = prepared(db, 'SELECT source_id, part_count, state, manifest_blob, upload_hash FROM submissions WHERE id = ?').get(sendIdOf(secret)) as Row | undefined;
    // Another secret's row (a 128-bit collision) is not this one's: treated as unknown, and never written.
    return row && row.upload_hash === hashOf(secret) ? row : undefined;
  };

  const state = (secret: string): SendState => {
    const id = sendIdOf(secret);
    const row = rowOf(secret);
    if (!row || (row.state !== 'pending' && row.state !== 'complete')) return { state: 'none', id };
    if (row.state === 'complete') return { state: 'complete', id, sourceId: row.source_id };
    const parts = (prepared(db, 'SELECT n FROM parts WHERE submission_id = ? ORDER BY n').all(id) as { n: number }[]).map((p) => p.n);
    return { state: 'pending', id, sourceId: row.source_id, partCount: row.part_count, parts, manifest: row.manifest_blob !== null };
  };

  /**
   * The source registered with this login secret and this private key (a repeated registration is the same
   * source): its id; null when no source has the login; the refusal of any unusable codename when one has it
   * with another key. Every path that may take a registration twice asks this (the folded route, its commit
   * group, POST /api/sources).
   */
  const sameSource = (loginSecret: string, privateKey: string): string | null => {
    let existing: { id: string; privateKey: string };
    try {
      existing = sources.byLogin(loginSecret);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
    if (existing.privateKey !== privateKey) throw new ConflictError(said('store.codenameUnusable'));
    return existing.id;
  };

  /** The source: known, or registered now (a repeated registration is its first one's source). */
  const sourceOf = (sender: Sender): string =>
    'sourceId' in sender ? sender.sourceId : (sameSource(sender.register.loginSecret, sender.register.privateKey) ?? sources.create(sender.register, { deskId: sender.deskId }).id);

  /**
   * A repeat of an item already complete: a registration is answered only when it names the item's own source
   * (same login, same key), with the same refusal as any unusable codename otherwise; nothing is created for it.
   * The route asks before anything is written; the commit group asks again (it may have completed since).
   */
  const ownerOf = (register: { loginSecret: string; privateKey: string } | null, owner: string): string => {
    if (register && sameSource(register.loginSecret, register.privateKey) !== owner) throw new ConflictError(said('store.codenameUnusable'));
    return owner;
  };

  /** Opens the submission `secret` names for `sourceId` unless it exists; one that exists must be the same (source, part count). */
  const open = (sourceId: string, secret: string, parts: number): void => {
    const row = rowOf(secret);
    if (row) {
      if (row.source_id !== sourceId) throw new NotFoundError(said('error.noSubmission'));
      if (row.part_count !== parts) throw new ConflictError(said('store.partRange', { n: parts, count: row.part_count }));
      return;
    }
    if (prepared(db, 'SELECT 1 FROM submissions WHERE id = ?').get(sendIdOf(secret))) throw new NotFoundError(said('error.noSubmission'));
    db.prepare("INSERT INTO submissions (id, source_id, part_count, state, created_day, resumable, upload_hash) VALUES (?, ?, ?, 'pending', ?, 1, ?)").run(
      sendIdOf(secret), sourceId, parts, today(), hashOf(secret),
    );
  };

  /** Records the stored blobs; returns the blobs they replace. A completed item records nothing (its request was a repeat). */
  const record = (id: string, f: Fold, partBlob: string | null, manifestBlob: string | null): string[] => {
    const replaced: string[] = [];
    if (f.part && partBlob) {
      if (f.part.n > f.parts) throw new ConflictError(said('store.partRange', { n: f.part.n, count: f.parts }));
      const old = prepared(db, 'SELECT blob FROM parts WHERE submission_id = ? AND n = ?').pluck().get(id, f.part.n) as string | undefined;
      prepared(db, 'INSERT OR REPLACE INTO parts (submission_id, n, blob, size) VALUES (?, ?, ?, ?)').run(id, f.part.n, partBlob, f.part.data.length);
      if (old) replaced.push(old);
    }
    if (manifestBlob) {
      const old = prepared(db, 'SELECT manifest_blob FROM submissions WHERE id = ?').pluck().get(id) as string | null;
      prepared(db, 'UPDATE submissions SET manifest_blob = ? WHERE id = ?').run(manifestBlob, id);
      if (old) replaced.push(old);
    }
    return replaced;
  };

  const whole = (id: string): boolean => {
    const row = db.prepare("SELECT part_count, manifest_blob FROM submissions WHERE id = ? AND state = 'pending'").get(id) as { part_count: number; manifest_blob: string | null } | undefined;
    if (!row?.manifest_blob) return false;
    return (prepared(db, 'SELECT COUNT(*) FROM parts WHERE submission_id = ?').pluck().get(id) as number) === row.part_count;
  };

  const removeAll = (names: (string | null)[]) => Promise.all(names.filter((b) => b !== null).map((b) => blobs.delete(b)));
  /** Both objects written at once (their directory synced once); if either write fails, the other's file is deleted too. */
  const putBoth = async (part: Uint8Array | null, manifest: Uint8Array | null): Promise<[string | null, string | null]> => {
    const writes = await Promise.allSettled([part && blobs.put(part), manifest && blobs.put(manifest)]);
    const names: [string | null, string | null] = [writes[0].status === 'fulfilled' ? writes[0].value : null, writes[1].status === 'fulfilled' ? writes[1].value : null];
    const failed = writes.find((w) => w.status === 'rejected');
    if (!failed) return names;
    await removeAll(names);
    throw failed.reason;
  };

  return {
    state,
    sameSource,
    ownerOf,
    /** Stores what a folded request carries. Objects are written first; if a write or the transaction refuses, they are deleted and nothing is kept. */
    async fold(f: Fold): Promise<Folded> {
      const id = sendIdOf(f.secret);
      const [partBlob, manifestBlob] = await putBoth(f.part?.data ?? null, f.manifest);
      let out: { folded: Folded; replaced: string[] };
      try {
        await f.recheck?.();
        out = await group.run(() => {
          // Complete already (a repeat, or another request completed it since the route looked): nothing is created or recorded.
          const done = rowOf(f.secret);
          if (done?.state === 'complete') return { folded: { id, sourceId: ownerOf('register' in f.sender ? f.sender.register : null, done.source_id), whole: true, done: true, already: true }, replaced: [partBlob, manifestBlob].filter((b) => b !== null) };
          const sourceId = sourceOf(f.sender);
          for (const item of [{ secret: f.secret, parts: f.parts }, ...f.reserve]) if (rowOf(item.secret)?.state !== 'complete') open(sourceId, item.secret, item.parts);
          const replaced = record(id, f, partBlob, manifestBlob);
          const all = whole(id);
          if (all && f.complete) submissions.complete(id, f.complete.fingerprints, f.complete.desk);
          return { folded: { id, sourceId, whole: all, done: all && f.complete !== null, already: false }, replaced };
        });
      } catch (error) {
        await removeAll([partBlob, manifestBlob]);
        throw error;
      }
      await removeAll(out.replaced);
      return out.folded;
    },
    /** submissions.complete for an item a folded request made whole, in the commit group: answered once committed. */
    complete(id: string, fingerprints: readonly string[], desk: number | null): Promise<void> {
      return group.run(() => submissions.complete(id, fingerprints, desk));
    },
  };
}
export type SendRepo = ReturnType<typeof sendRepo>;
