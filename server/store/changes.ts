import { createHash } from 'node:crypto';
import type { Db } from './db.ts';
import { today } from './day.ts';
import { ChangeRefusedError, ConflictError, NotFoundError } from './errors.ts';
import { keyIdsOf } from './key-ids.ts';
import type { AuditActor, AuditDetail, AuditRepo } from './audit.ts';
import type { DeskRepo } from './desks.ts';
import type { Journalist, JournalistRepo, NewJournalist } from './journalists.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

// The two-person rule. Whoever controls one administrator account (or one CLI shell) must not be
// able to add a reader alone: a new key, a replaced key, a new desk member, a moved conversation,
// and anything that takes an administrator away (else one stolen account demotes the other and
// then acts alone), making someone an administrator, resetting anyone's login and replacing another
// administrator's onion access key wait for a second administrator when the newsroom has two or more
// active ones.
// Nothing reads a pending change but the pages that list it: recipients and visibility read only
// applied state. Applying happens in one transaction with its `access.<kind>` audit entry.

/** What the journalists page's buttons ask (promote comes with adding; onion is the access route's). */
export type TakeAwayAction = 'disable' | 'remove' | 'demote' | 'reset';
export type AdminAction = TakeAwayAction | 'promote' | 'onion';
export const ADMIN_ACTIONS: readonly TakeAwayAction[] = ['disable', 'remove', 'demote', 'reset'];
/** One object of a conversation re-wrapped in the page: its ref and the base64 PKESKs added (see common/envelope/rewrap.ts). */
export type MoveObject = { ref: string; add: string };
export type ChangePayloads = {
  enable: { journalistId: number };
  /** The store derives the fingerprint; recipientKeyId is what readJournalistKey chose, when the caller has it. */
  key: { journalistId: number; publicKey: string; recipientKeyId?: string };
  member: { deskId: number; journalistId: number };
  /**
   * toDeskId null: the whole newsroom. `planned` (set by the store when the move is held): a hash
   * of each object's header by ref as the packets were checked, so a label rewritten meanwhile
   * (same ref, new session key) is seen as a change at confirmation.
   */
  move: { sourceId: string; toDeskId: number | null; objects: MoveObject[]; planned?: Record<string, string> };
  admin: { journalistId: number; action: AdminAction };
};
export type ChangeKind = keyof ChangePayloads;
export type ChangeResult = { applied: true } | { applied: false; id: number };
/** What a change does to who can read what: shown on the Changes page and recorded when applied. */
export type ChangeEffect = { added: string[]; removed: string[]; journalist?: string; desk?: string; action?: AdminAction };
export type PendingChange<K extends ChangeKind = ChangeKind> = ChangeEffect & {
  id: number;
  kind: K;
  payload: ChangePayloads[K];
  /** The requester's username, or 'cli'. */
  requestedBy: string;
  requestedById: number | null;
  requestedDay: string;
  /** Commits to what the Changes page shows (kind, payload, requester, day): a confirmation names it. */
  digest: string;
};
/**
 * A move re-wraps files before its rows change: H-rewrap's store.rewrap.apply does it, calling
 * `finish` inside its own transaction (finish sets the desk, drops the pending row and audits).
 */
export type ChangeHooks = {
  move: (payload: ChangePayloads['move'], finish: () => void) => Promise<void>;
  /** The header hashes a held move records (rewrap.ts planned). */
  planned?: (sourceId: string) => Promise<Record<string, string>>;
};

type Row = { id: number; kind: ChangeKind; payload: string; requested_by: number | null; requested_day: string };
/** A kind with its payload, as one value a switch on `kind` narrows (a generic pair does not). */
type AnyChange = { [K in ChangeKind]: { kind: K; payload: ChangePayloads[K] } }[ChangeKind];
const changeOf = <K extends ChangeKind>(kind: K, payload: ChangePayloads[K]) => ({ kind, payload }) as AnyChange;
type Deps = { journalists: JournalistRepo; desks: DeskRepo; audit: AuditRepo };
type Who = { requestedBy: string; confirmedBy?: string };

const fp = (publicKey: string) => keyIdsOf(publicKey).fingerprint;
const NEWSROOM = 'newsroom';
/** store/rewrap.ts's refusal of a move whose conversation changed since its packets were made. */
const MOVE_STALE = 'staff.rewrap.changed';

export function changeRepo(db: Db, { journalists, desks, audit }: Deps, hooks: ChangeHooks) {
  const nameOf = (id: number | null) => (id === null ? 'cli' : journalists.byId(id).username);
  const actorOf = (id: number | null): AuditActor => (id === null ? 'cli' : { username: journalists.byId(id).username });
  const deskName = (id: number | null) => (id === null ? NEWSROOM : desks.byId(id).name);

  /** What the change would do, read now; throws NotFoundError when what it names is gone. */
  function effect(c: AnyChange): ChangeEffect {
    if (c.kind === 'move') {
      const before = desks.readerFingerprints(desks.deskOf(c.payload.sourceId));
      const after = desks.readerFingerprints(c.payload.toDeskId);
      return { added: after.filter((f) => !before.includes(f)), removed: before.filter((f) => !after.includes(f)), desk: deskName(c.payload.toDeskId) };
    }
    const j = journalists.byId(c.payload.journalistId);
    switch (c.kind) {
      case 'enable':
        return { added: [j.fingerprint], removed: [], journalist: j.username };
      case 'key':
        return { added: [fp(c.payload.publicKey)], removed: [j.fingerprint], journalist: j.username };
      case 'member':
        return { added: [j.fingerprint], removed: [], journalist: j.username, desk: desks.byId(c.payload.deskId).name };
      case 'admin': {
        const { action } = c.payload;
        return { added: [], removed: action === 'disable' || action === 'remove' ? [j.fingerprint] : [], journalist: j.username, action };
      }
    }
  }

  /** The change itself, inside the caller's transaction (a move's desk is set by apply, after its files). */
  function applyNow(c: Exclude<AnyChange, { kind: 'move' }>): void {
    const id = c.payload.journalistId;
    switch (c.kind) {
      case 'enable':
        return journalists.setActive(id, true);
      case 'member':
        return desks.addMember(c.payload.deskId, id);
      case 'key': {
        const { publicKey, recipientKeyId } = c.payload;
        const ids = keyIdsOf(publicKey);
        return journalists.rotateKey(id, { fingerprint: ids.fingerprint, recipientKeyId: typeof recipientKeyId === 'string' ? recipientKeyId : (ids.subkeyIds.at(-1) ?? ids.keyIds[0]!), publicKey });
      }
      case 'admin':
        return applyAdmin(id, c.payload.action);
    }
  }

  function applyAdmin(id: number, action: AdminAction): void {
    if (action === 'disable') journalists.setActive(id, false);
    else if (action === 'remove') removeJournalist(id);
    else if (action === 'demote') journalists.setAdmin(id, false);
    else if (action === 'promote') journalists.setAdmin(id, true);
    else if (action === 'reset') journalists.setCredentials(id, { passwordHash: null, totpSecret: null });
    // 'onion': the route that applied it issues the new access key (server/tor is not the store's).
  }

  /**
   * Removes a journalist with every pending change naming them (a key, a desk, enabling, an admin
   * action): left behind, a key change for nobody reads as a forged row at the next open (key-check.ts).
   */
  function removeJournalist(id: number): void {
    const named = db.prepare("SELECT id, kind FROM pending_changes WHERE json_valid(payload) AND json_extract(payload, '$.journalistId') = ? ORDER BY id").all(id) as { id: number; kind: string }[];
    for (const r of named) {
      prepared(db, 'DELETE FROM pending_changes WHERE id = ?').run(r.id);
      audit.append({ actor: 'system', action: 'change.reject', detail: { change: r.id, kind: r.kind, reason: 'removed' } });
    }
    journalists.remove(journalists.byId(id).username);
  }

  /** Applies, drops the pending row (if any) and audits, all in one transaction (a move's files first). */
  async function apply(c: AnyChange, pendingId: number | null, who: Who, actor: AuditActor): Promise<void> {
    const seen = effect(c);
    const finish = () => {
      if (pendingId !== null) {
        if (prepared(db, 'DELETE FROM pending_changes WHERE id = ?').run(pendingId).changes === 0) throw new NotFoundError(said('store.change.none'));
        audit.append({ actor, action: 'change.confirm', detail: { change: pendingId, kind: c.kind } });
      }
      if (c.kind === 'move') desks.setDesk(c.payload.sourceId, c.payload.toDeskId);
      else applyNow(c);
      audit.append({ actor, action: `access.${c.kind}`, detail: auditDetail(seen, who) });
    };
    if (c.kind === 'move') return hooks.move(c.payload, finish);
    db.transaction(finish).immediate();
  }

  /**
   * Held when two or more administrators could confirm. An 'admin' change: making an administrator
   * always; a reset of any active journalist (whoever is shown the new enrolment link can enrol as
   * them and then ask and confirm as two people); the rest only when the target is an active
   * administrator, and a new onion access key not when it is the requester's own.
   */
  function held<K extends ChangeKind>(kind: K, payload: ChangePayloads[K], by: number | null): boolean {
    if (journalists.activeAdminCount() < 2) return false;
    if (kind !== 'admin') return true;
    const { journalistId, action } = payload as ChangePayloads['admin'];
    const target = journalists.byId(journalistId);
    if (action === 'promote') return true;
    if (action === 'reset') return target.active;
    if (action === 'onion' && by === journalistId) return false;
    return target.isAdmin && target.active;
  }

  /**
   * Whoever holds an enrolment link can enrol as that account and act as it: the administrator who
   * was shown a journalist's current link (who added or reset them) and that journalist may be one
   * person. So neither confirms the other's change, and nobody confirms their own (same_admin).
   */
  /** Why `confirmerId` may not be the second person for a change `requesterId` asked for: their own, or an enrolment link between them. */
  function secondPersonBlock(requesterId: number | null, confirmerId: number): 'mine' | 'linked' | null {
    if (requesterId === confirmerId) return 'mine';
    if (requesterId === null) return null;
    return journalists.loginIssuedBy(requesterId) === confirmerId || journalists.loginIssuedBy(confirmerId) === requesterId ? 'linked' : null;
  }
  function assertSecondPerson(requesterId: number | null, confirmerId: number): void {
    const block = secondPersonBlock(requesterId, confirmerId);
    if (block === 'mine') throw new ChangeRefusedError(said('store.change.sameAdmin'), 'same_admin');
    if (block === 'linked') throw new ChangeRefusedError(said('store.change.linkHolder'), 'same_admin');
  }

  const toPending = (r: Row): PendingChange => {
    const payload = JSON.parse(r.payload) as ChangePayloads[ChangeKind];
    const requestedBy = nameOf(r.requested_by);
    return { id: r.id, kind: r.kind, payload, requestedById: r.requested_by, requestedBy, requestedDay: r.requested_day, digest: digestOf(r, requestedBy), ...effect(changeOf(r.kind, payload)) };
  };
  /** The change as the pages show it, or null when what it names is gone (a journalist, a desk, a conversation). */
  const shown = (r: Row): PendingChange | null => {
    try {
      return toPending(r);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };
  const rowsOf = (kind?: ChangeKind): Row[] =>
    (kind === undefined ? prepared(db, 'SELECT * FROM pending_changes ORDER BY id').all() : prepared(db, 'SELECT * FROM pending_changes WHERE kind = ? ORDER BY id').all(kind)) as Row[];
  /** Refuses (change_changed) a confirmation or rejection that names a change other than the one stored under its id. */
  const assertShown = (r: Row, digest: string | undefined) => {
    if (digest !== undefined && digest !== digestOf(r, nameOf(r.requested_by))) throw new ChangeRefusedError(said('store.change.changed'), 'change_changed');
  };
  const row = (id: number): Row => {
    const r = prepared(db, 'SELECT * FROM pending_changes WHERE id = ?').get(id) as Row | undefined;
    if (!r) throw new NotFoundError(said('store.change.none'));
    return r;
  };
  /** A stale move dropped by the system (audited change.reject, reason 'changed'); nothing if already gone. */
  const withdraw = (id: number): void => {
    db.transaction(() => {
      if (prepared(db, 'DELETE FROM pending_changes WHERE id = ?').run(id).changes === 0) return;
      audit.append({ actor: 'system', action: 'change.reject', detail: { change: id, kind: 'move', reason: 'changed' } });
    }).immediate();
  };
  const mustBeAdmin = (id: number): Journalist => {
    const j = journalists.byId(id);
    if (!j.isAdmin || !j.active) throw new ChangeRefusedError(said('store.change.notAdmin'), 'not_admin');
    return j;
  };

  const repo = {
    /** Whether changes wait for a second administrator now (two or more active administrators). */
    twoPerson: (): boolean => journalists.activeAdminCount() >= 2,
    /** Applied at once with fewer than two active administrators, else stored for a second one to confirm. by null: the CLI. */
    async request<K extends ChangeKind>(kind: K, payload: ChangePayloads[K], by: number | null): Promise<ChangeResult> {
      const seen = effect(changeOf(kind, payload));
      if (kind === 'key') assertKeyUsable(journalists, payload as ChangePayloads['key']);
      if (kind === 'member') assertNotMember(desks, payload as ChangePayloads['member']);
      // Enabling someone already active adds nobody: held, it would show their key as added for nothing.
      if (kind === 'enable' && journalists.byId((payload as ChangePayloads['enable']).journalistId).active) throw new ConflictError(said('store.alreadyEnabled'));
      const who = { requestedBy: nameOf(by) };
      if (!held(kind, payload, by)) {
        await apply(changeOf(kind, payload), null, who, actorOf(by));
        return { applied: true };
      }
      const sourceId = kind === 'move' ? (payload as ChangePayloads['move']).sourceId : null;
      const stored = sourceId !== null && hooks.planned ? { ...payload, planned: await hooks.planned(sourceId) } : payload;
      const id = db.transaction(() => {
        const n = Number(prepared(db, 'INSERT INTO pending_changes (kind, payload, requested_by, requested_day) VALUES (?, ?, ?, ?)').run(kind, JSON.stringify(stored), by, today()).lastInsertRowid);
        audit.append({ actor: actorOf(by), action: 'change.request', detail: { change: n, kind, ...auditDetail(seen, who) } });
        return n;
      }).immediate();
      return { applied: false, id };
    },
    /**
     * A new journalist: active at once, or (two administrators) inactive with a pending `enable`
     * change, so that no source encrypts to the key before a second administrator confirms it.
     */
    async addJournalist(j: NewJournalist, by: number | null): Promise<{ journalist: Journalist; result: ChangeResult }> {
      const journalist = db.transaction(() => {
        // Administrator only through a 'promote' change, so the Changes page says so plainly.
        const added = { ...journalists.add({ ...j, isAdmin: false }), isAdmin: Boolean(j.isAdmin) };
        journalists.setActive(added.id, false);
        audit.append({ actor: actorOf(by), action: 'journalist.add', detail: { journalist: added.username, fingerprint: added.fingerprint, admin: added.isAdmin } });
        return added;
      }).immediate();
      const enabled = await repo.request('enable', { journalistId: journalist.id }, by);
      const promoted = j.isAdmin ? await repo.request('admin', { journalistId: journalist.id, action: 'promote' }, by) : enabled;
      return { journalist: journalists.byId(journalist.id), result: enabled.applied ? promoted : enabled };
    },
    /**
     * Applies a pending change as its second administrator (assertSecondPerson); a CLI request may be
     * confirmed by any administrator. `digest` (the page's): refused unless it is still the change shown.
     */
    async confirm(id: number, adminId: number, digest?: string): Promise<void> {
      const r = row(id);
      assertShown(r, digest);
      const admin = mustBeAdmin(adminId);
      assertSecondPerson(r.requested_by, adminId);
      const payload = JSON.parse(r.payload) as ChangePayloads[ChangeKind];
      try {
        await apply(changeOf(r.kind, payload), id, { requestedBy: nameOf(r.requested_by), confirmedBy: admin.username }, { username: admin.username });
      } catch (error) {
        // A move's held packets no longer fit the conversation: they never will, so the change goes.
        if (r.kind !== 'move' || !(error instanceof ConflictError) || error.said.key !== MOVE_STALE) throw error;
        withdraw(id);
        throw new ChangeRefusedError(said('store.change.moveWithdrawn'), 'move_withdrawn');
      }
    },
    /** Any administrator may refuse a change; its requester may withdraw it. */
    reject(id: number, byId: number, digest?: string): void {
      db.transaction(() => {
        const r = row(id);
        assertShown(r, digest);
        const by = r.requested_by === byId ? journalists.byId(byId) : mustBeAdmin(byId);
        prepared(db, 'DELETE FROM pending_changes WHERE id = ?').run(id);
        audit.append({ actor: { username: by.username }, action: 'change.reject', detail: { change: id, kind: r.kind } });
      }).immediate();
    },
    /**
     * Pending changes, oldest first, with what each would add and remove. A read only: one naming
     * what no longer exists is left out, and dropped by dropStale.
     */
    pending: (): PendingChange[] => rowsOf().map(shown).filter((c) => c !== null),
    /** The pending changes of one kind (what the desks, journalists and account pages and the move route ask). */
    pendingOf: <K extends ChangeKind>(kind: K): PendingChange<K>[] => rowsOf(kind).map(shown).filter((c) => c !== null) as PendingChange<K>[],
    /**
     * Drops the pending changes naming a journalist, desk or conversation that no longer exists
     * (nobody could confirm them), with one audit entry by the system that counts them (nothing of
     * what they named: it is gone). Start-up and the Changes page call it; how many were dropped.
     */
    dropStale(): number {
      return db.transaction(() => {
        const stale = rowsOf().filter((r) => shown(r) === null);
        for (const r of stale) prepared(db, 'DELETE FROM pending_changes WHERE id = ?').run(r.id);
        if (stale.length) audit.append({ actor: 'system', action: 'change.cleanup', detail: { changes: stale.length } });
        return stale.length;
      }).immediate();
    },
    get: (id: number): PendingChange => toPending(row(id)),
    /** Whether the administrator could confirm the change (the page offers Confirm only then): null, or why not. */
    confirmBlock: (c: PendingChange, adminId: number): 'mine' | 'linked' | null => secondPersonBlock(c.requestedById, adminId),
  };
  return repo;
}
export type ChangeRepo = ReturnType<typeof changeRepo>;

/** A short hash of what the Changes page shows of a change; the id too, so it never names another. */
function digestOf(r: Row, requestedBy: string): string {
  return createHash('sha256').update(JSON.stringify([r.id, r.kind, r.payload, r.requested_by, requestedBy, r.requested_day])).digest('hex').slice(0, 32);
}

function auditDetail(e: ChangeEffect, who: Who): AuditDetail {
  const d: AuditDetail = { added: e.added, removed: e.removed, requestedBy: who.requestedBy };
  if (e.journalist !== undefined) d.journalist = e.journalist;
  if (e.desk !== undefined) d.desk = e.desk;
  if (e.action !== undefined) d.action = e.action;
  if (who.confirmedBy !== undefined) d.confirmedBy = who.confirmedBy;
  return d;
}

/** A key nobody else holds or held, and not the journalist's current one. */
function assertKeyUsable(journalists: JournalistRepo, p: ChangePayloads['key']): void {
  const owner = journalists.keyOwner(fp(p.publicKey));
  if (owner && owner.journalistId !== p.journalistId) throw new ConflictError(said('store.keyInUse'));
  if (owner && !owner.retired) throw new ConflictError(said('store.sameKey'));
  journalists.assertKeyIdsFree(p.publicKey, p.journalistId);
}

function assertNotMember(desks: DeskRepo, p: ChangePayloads['member']): void {
  if (desks.isMember(p.deskId, p.journalistId)) throw new ConflictError(said('store.desk.alreadyMember'));
}
