import type { Db } from './db.ts';
import { today } from './day.ts';
import { ConflictError, InvalidInputError, NotFoundError } from './errors.ts';
import type { AuditActor, AuditRepo } from './audit.ts';
import type { Journalist, JournalistRepo } from './journalists.ts';
import { LANGUAGES, DEFAULT_LANGUAGE } from '../../common/i18n/languages.ts';
import { said } from '../i18n/said.ts';
import { prepared } from './statements.ts';

// Desks: who reads a conversation. A source's conversation belongs to one desk (sources.desk_id) or
// to the whole newsroom (null). Adding a member gives them what sources send from then on, so it
// is a change a second administrator confirms (changes.ts calls addMember); removing one takes a
// reader away, which is never held, and is recorded as an access change at once.

/** What sources are shown of a desk, per language; a missing language falls back to English, then the slug. */
export type DeskText = { name: string; description: string };
export type DeskTexts = Partial<Record<string, DeskText>>;
export type Desk = { id: number; name: string; texts: DeskTexts; createdDay: string };

/** The slug administrators and the CLI use. */
export const DESK_NAME = /^[a-z0-9][a-z0-9-]{0,39}$/;
export const DESK_TEXT_LIMITS = { name: 80, description: 500 } as const;

type Row = { id: number; name: string; texts: string; created_day: string };
const toDesk = (r: Row): Desk => ({ id: r.id, name: r.name, texts: JSON.parse(r.texts) as DeskTexts, createdDay: r.created_day });

/** A desk's name and description in `language`, else English, else the slug with no description. */
export function deskText(desk: Desk, language: string): DeskText {
  const own = desk.texts[language]?.name ? desk.texts[language] : desk.texts[DEFAULT_LANGUAGE];
  return own?.name ? own : { name: desk.name, description: own?.description ?? '' };
}

/** Only the shipped languages, each with a name and a description of bounded length (trimmed). */
export function checkedTexts(texts: unknown): DeskTexts {
  const bad = () => new InvalidInputError(said('store.desk.badTexts', { name: DESK_TEXT_LIMITS.name, description: DESK_TEXT_LIMITS.description }));
  if (typeof texts !== 'object' || texts === null || Array.isArray(texts)) throw bad();
  const out: DeskTexts = {};
  for (const [tag, value] of Object.entries(texts)) {
    if (!LANGUAGES.some((l) => l.tag === tag)) throw bad();
    const { name, description } = (value ?? {}) as Record<string, unknown>;
    if (typeof name !== 'string' || typeof description !== 'string') throw bad();
    const t = { name: name.trim(), description: description.trim() };
    if (t.name.length > DESK_TEXT_LIMITS.name || t.description.length > DESK_TEXT_LIMITS.description) throw bad();
    if (t.name || t.description) out[tag] = t;
  }
  return out;
}

const fingerprintsOf = (js: Journalist[]) => js.map((j) => j.fingerprint);

export function deskRepo(db: Db, journalists: JournalistRepo, audit: AuditRepo) {
  const NO_DESK = said('store.desk.none');
  const must = (r: Row | undefined): Desk => {
    if (!r) throw new NotFoundError(NO_DESK);
    return toDesk(r);
  };
  const memberIds = (deskId: number): number[] =>
    (prepared(db, 'SELECT journalist_id AS id FROM desk_members WHERE desk_id = ? ORDER BY journalist_id').all(deskId) as { id: number }[]).map((r) => r.id);

  const repo = {
    list: (): Desk[] => (prepared(db, 'SELECT * FROM desks ORDER BY name').all() as Row[]).map(toDesk),
    count: (): number => (prepared(db, 'SELECT COUNT(*) AS c FROM desks').get() as { c: number }).c,
    get: (name: string): Desk => must(prepared(db, 'SELECT * FROM desks WHERE name = ?').get(name) as Row | undefined),
    byId: (id: number): Desk => must(prepared(db, 'SELECT * FROM desks WHERE id = ?').get(id) as Row | undefined),
    create(name: string, texts: DeskTexts, actor: AuditActor): Desk {
      if (!DESK_NAME.test(name)) throw new InvalidInputError(said('store.desk.badName'));
      const clean = checkedTexts(texts);
      return db.transaction(() => {
        if (prepared(db, 'SELECT 1 FROM desks WHERE name = ?').get(name)) throw new ConflictError(said('store.desk.nameTaken', { name }));
        const id = Number(prepared(db, 'INSERT INTO desks (name, texts, created_day) VALUES (?, ?, ?)').run(name, JSON.stringify(clean), today()).lastInsertRowid);
        audit.append({ actor, action: 'desk.add', detail: { desk: name } });
        return repo.byId(id);
      }).immediate();
    },
    /** Refused (409) while any conversation belongs to the desk: they are moved first. */
    remove(id: number, actor: AuditActor): void {
      db.transaction(() => {
        const desk = repo.byId(id);
        if (prepared(db, 'SELECT 1 FROM sources WHERE desk_id = ? LIMIT 1').get(id)) throw new ConflictError(said('store.desk.notEmpty', { name: desk.name }));
        // Changes waiting for a second administrator that name this desk would name nothing: dropped
        // and counted as changes.dropStale does (one system entry, after the removal that caused it).
        const dropped = db.prepare("DELETE FROM pending_changes WHERE kind IN ('member', 'move') AND json_valid(payload) AND coalesce(json_extract(payload, '$.deskId'), json_extract(payload, '$.toDeskId')) = ?").run(id).changes;
        prepared(db, 'DELETE FROM desks WHERE id = ?').run(id);
        audit.append({ actor, action: 'desk.remove', detail: { desk: desk.name } });
        if (dropped) audit.append({ actor: 'system', action: 'change.cleanup', detail: { changes: dropped } });
      }).immediate();
    },
    setTexts(id: number, texts: DeskTexts, actor: AuditActor): void {
      const clean = checkedTexts(texts);
      db.transaction(() => {
        const desk = repo.byId(id);
        prepared(db, 'UPDATE desks SET texts = ? WHERE id = ?').run(JSON.stringify(clean), id);
        // An access entry, so every journalist is told: renaming a desk can steer sources to it.
        audit.append({ actor, action: 'access.desk-texts', detail: { added: [], removed: [], desk: desk.name } });
      }).immediate();
    },
    /** Every member, active or not, by username. */
    members: (deskId: number): Journalist[] => memberIds(repo.byId(deskId).id).map((id) => journalists.byId(id)).sort((a, b) => a.username.localeCompare(b.username)),
    /** The members whose keys new material of this desk is encrypted to (recipients.ts drops unusable keys). */
    activeMembers: (deskId: number): Journalist[] => repo.members(deskId).filter((j) => j.active),
    isMember: (deskId: number, journalistId: number): boolean => prepared(db, 'SELECT 1 FROM desk_members WHERE desk_id = ? AND journalist_id = ?').get(deskId, journalistId) !== undefined,
    /** At once, without audit: only the `member` change's applier calls this (it records access.member). */
    addMember(deskId: number, journalistId: number): void {
      repo.byId(deskId);
      journalists.byId(journalistId);
      if (repo.isMember(deskId, journalistId)) throw new ConflictError(said('store.desk.alreadyMember'));
      prepared(db, 'INSERT INTO desk_members (desk_id, journalist_id) VALUES (?, ?)').run(deskId, journalistId);
    },
    /** At once (taking a reader away is never held), recorded as access.member-removed. */
    removeMember(deskId: number, journalistId: number, actor: AuditActor): void {
      db.transaction(() => {
        const desk = repo.byId(deskId);
        const j = journalists.byId(journalistId);
        if (prepared(db, 'DELETE FROM desk_members WHERE desk_id = ? AND journalist_id = ?').run(deskId, journalistId).changes === 0) throw new NotFoundError(said('store.desk.notMember'));
        audit.append({ actor, action: 'access.member-removed', detail: { added: [], removed: [j.fingerprint], journalist: j.username, desk: desk.name } });
      }).immediate();
    },
    /**
     * The desk a source's conversation belongs to; null = the whole newsroom. An unknown source is a
     * NotFoundError, never null (that would read as "the whole newsroom"): a caller expecting one
     * catches it (sources/desks.ts deskOfSource, for a source's session that outlived it).
     */
    deskOf(sourceId: string): number | null {
      const r = prepared(db, 'SELECT desk_id AS d FROM sources WHERE id = ?').get(sourceId) as { d: number | null } | undefined;
      if (!r) throw new NotFoundError(said('staff.error.noSource'));
      return r.d;
    },
    /** The desk of the source a pending upload belongs to: its objects are checked against that desk's keys. */
    deskOfUpload(submissionId: string): number | null {
      const r = db.prepare("SELECT so.desk_id AS d FROM submissions s JOIN sources so ON so.id = s.source_id WHERE s.id = ? AND s.state = 'pending'").get(submissionId) as { d: number | null } | undefined;
      if (!r) throw new NotFoundError(said('error.noSubmission'));
      return r.d;
    },
    setDesk(sourceId: string, deskId: number | null): void {
      if (deskId !== null) repo.byId(deskId);
      if (prepared(db, 'UPDATE sources SET desk_id = ? WHERE id = ?').run(deskId, sourceId).changes === 0) throw new NotFoundError(said('staff.error.noSource'));
    },
    /** Desks with at least one active member, by slug: what sources may choose (recipients.ts also drops unusable keys). */
    offered: (): Desk[] =>
      (prepared(db, 'SELECT * FROM desks d WHERE EXISTS (SELECT 1 FROM desk_members m JOIN journalists j ON j.id = m.journalist_id WHERE m.desk_id = d.id AND j.active = 1) ORDER BY name').all() as Row[]).map(toDesk),
    /** The desks a journalist belongs to, by slug. */
    forJournalist: (journalistId: number): Desk[] =>
      (prepared(db, 'SELECT d.* FROM desks d JOIN desk_members m ON m.desk_id = d.id WHERE m.journalist_id = ? ORDER BY d.name').all(journalistId) as Row[]).map(toDesk),
    /** The fingerprints new material of this desk (null: the whole newsroom) is sealed to, before unusable keys are dropped. */
    readerFingerprints: (deskId: number | null): string[] => fingerprintsOf(deskId === null ? journalists.active() : repo.activeMembers(deskId)),
  };
  return repo;
}
export type DeskRepo = ReturnType<typeof deskRepo>;
