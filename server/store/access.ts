import type { Db } from './db.ts';
import { NotFoundError } from './errors.ts';
import type { Said } from '../i18n/said.ts';

// Who may see what (docs/desks.md). A journalist sees a conversation when it belongs to no desk
// (made before desks, or with none), when they are a member of its desk, or when one of its items
// is sealed to one of their keys, current or retired (an item shared with them). Inside a
// conversation of a desk they are not a member of, they see only the items and replies sealed to
// one of their keys. Administrators get no exception: managing desks is not reading them. What a
// journalist may not see answers exactly like an unknown id, so nobody learns what other desks hold.
// The fragments below read `@journalist`; `so`, `s` and `r` name the sources, submissions and
// replies rows of the query they are put in.

/** Every fingerprint of the journalist's keys: the current one and each retired one. */
export const MY_KEYS = 'SELECT fingerprint FROM journalists WHERE id = @journalist UNION ALL SELECT fingerprint FROM retired_keys WHERE journalist_id = @journalist';

/** The journalist reads everything of conversation `so`: it has no desk, or they are in its desk. */
export const memberOf = (so: string): string =>
  `(${so}.desk_id IS NULL OR EXISTS (SELECT 1 FROM desk_members dm WHERE dm.desk_id = ${so}.desk_id AND dm.journalist_id = @journalist))`;

/**
 * Whether the journalist reads the whole of conversation `sourceId`: an announced one with no desk,
 * or in their desk. Who acts on the conversation itself (deleting, labelling, replying) or moves it;
 * an unannounced one (a no-JS upload whose codename was never shown) is nobody's yet.
 */
export function readsWhole(db: Db, sourceId: string, journalistId: number): boolean {
  return db.prepare(`SELECT 1 FROM sources so WHERE so.id = @id AND so.announced = 1 AND ${memberOf('so')}`).get({ id: sourceId, journalist: journalistId }) !== undefined;
}

const sealedToMe = (s: string): string => `EXISTS (SELECT 1 FROM submission_keys k WHERE k.submission_id = ${s}.id AND k.fingerprint IN (${MY_KEYS}))`;

/** Conversation `so` is visible to the journalist. */
export const canSee = (so: string): string =>
  `(${memberOf(so)} OR EXISTS (SELECT 1 FROM submissions sv JOIN submission_keys k ON k.submission_id = sv.id
     WHERE sv.source_id = ${so}.id AND sv.state = 'complete' AND k.fingerprint IN (${MY_KEYS})))`;

/** Item `s` of the visible conversation `so` is shown to the journalist. */
export const itemVisible = (so: string, s: string): string => `(${memberOf(so)} OR ${sealedToMe(s)})`;

/** Reply `r` of the visible conversation `so` is shown to the journalist (`sealed_to` is a JSON array). */
export const replyVisible = (so: string, r: string): string =>
  `(${memberOf(so)} OR EXISTS (SELECT 1 FROM json_each(${r}.sealed_to) e WHERE e.value IN (${MY_KEYS})))`;

/** Who one fingerprint an object is sealed to is, as the journalist `journalistId` is told. */
export type SealedKey =
  | { kind: 'mine' }
  | { kind: 'mine-old'; fingerprint: string }
  | { kind: 'colleague'; username: string; fingerprint: string }
  | { kind: 'former' }
  | { kind: 'source' };

type KeyRow = { journalist_id: number; username: string; fingerprint: string; current: number };

/** The checks routes make before naming a source, an item or a reply to a journalist. */
export function accessRepo(db: Db) {
  const source = db.prepare(`SELECT 1 FROM sources so WHERE so.id = @id AND so.announced = 1 AND ${canSee('so')}`);
  const item = db.prepare(
    `SELECT s.source_id FROM submissions s JOIN sources so ON so.id = s.source_id
     WHERE s.id = @id AND s.state = 'complete' AND ${canSee('so')} AND ${itemVisible('so', 's')}`,
  );
  const reply = db.prepare(`SELECT 1 FROM replies r JOIN sources so ON so.id = r.source_id WHERE r.id = @id AND ${canSee('so')} AND ${replyVisible('so', 'r')}`);
  const keys = db.prepare(
    `SELECT j.id AS journalist_id, j.username, j.fingerprint, 1 AS current FROM journalists j WHERE j.fingerprint IN (SELECT value FROM json_each(@fps))
     UNION ALL SELECT j.id, j.username, rk.fingerprint, 0 FROM retired_keys rk JOIN journalists j ON j.id = rk.journalist_id WHERE rk.fingerprint IN (SELECT value FROM json_each(@fps))`,
  );
  return {
    /** Whether the journalist may see conversation `sourceId` at all (false for an unknown one too). */
    canSee: (journalistId: number, sourceId: string): boolean => source.get({ id: sourceId, journalist: journalistId }) !== undefined,
    /**
     * A NotFoundError with `message` unless the journalist reads the whole conversation (no desk, or
     * theirs): what acts on the conversation itself (deleting, labelling, starring, replying) is a
     * member's; one shown a shared item there only reads it.
     */
    assertWhole(journalistId: number, sourceId: string, message: Said): void {
      if (!this.readsWhole(journalistId, sourceId)) throw new NotFoundError(message);
    },
    readsWhole: (journalistId: number, sourceId: string): boolean => readsWhole(db, sourceId, journalistId),
    /** A NotFoundError with `message` (the route's own for an unknown id) unless the journalist may see the conversation. */
    assertSource(journalistId: number, sourceId: string, message: Said): void {
      if (!this.canSee(journalistId, sourceId)) throw new NotFoundError(message);
    },
    /** The conversation of a complete item the journalist may see; a NotFoundError with `message` otherwise. */
    sourceOfItem(journalistId: number, submissionId: string, message: Said): string {
      const row = item.get({ id: submissionId, journalist: journalistId }) as { source_id: string } | undefined;
      if (!row) throw new NotFoundError(message);
      return row.source_id;
    },
    /** A NotFoundError with `message` unless the journalist may see the reply. */
    assertReply(journalistId: number, replyId: string, message: Said): void {
      if (!reply.get({ id: replyId, journalist: journalistId })) throw new NotFoundError(message);
    },
    /** Names the keys `fingerprints` for journalist `journalistId` ("unknown:<keyid>" and removed journalists' keys are a former colleague's). */
    describe(journalistId: number, fingerprints: readonly string[]): SealedKey[] {
      const rows = new Map((keys.all({ fps: JSON.stringify(fingerprints) }) as KeyRow[]).map((r) => [r.fingerprint, r]));
      return fingerprints.map((fp): SealedKey => {
        if (fp === 'source') return { kind: 'source' };
        const r = rows.get(fp);
        if (!r) return { kind: 'former' };
        if (r.journalist_id !== journalistId) return { kind: 'colleague', username: r.username, fingerprint: fp };
        return r.current === 1 ? { kind: 'mine' } : { kind: 'mine-old', fingerprint: fp };
      });
    },
  };
}
export type AccessRepo = ReturnType<typeof accessRepo>;
