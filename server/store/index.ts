import path from 'node:path';
import { createFileBlobStore, type BlobStore } from './blobs.ts';
import { openDb } from './db.ts';
import { keyFileSetting } from '../config.ts';
import { journalistRepo, openTotpSecrets, type JournalistRepo } from './journalists.ts';
import { inboxRepo, type InboxRepo } from './inbox.ts';
import { replyRepo, type ReplyRepo } from './replies.ts';
import { threadRepo, type ThreadRepo } from './thread.ts';
import { sourceRepo, type SourceRepo } from './sources.ts';
import { submissionRepo, type SubmissionRepo } from './submissions.ts';
import { sendRepo, type SendRepo } from './sends.ts';
import { settingsRepo, type SettingsRepo } from './settings.ts';
import { auditRepo, type AuditRepo } from './audit.ts';
import { deskRepo, type DeskRepo } from './desks.ts';
import { changeRepo, type ChangeRepo } from './changes.ts';
import { accessRepo, type AccessRepo } from './access.ts';
import { rewrapRepo, type RewrapRepo } from './rewrap.ts';
import { backfillSealedTo } from './sealed-to.ts';
import { spaceOf, type Space } from './space.ts';
import { takeSnapshot, type Snapshot } from './backup.ts';
import { assertKeysAgree } from './key-check.ts';
import { makeDataDirPrivate, makeKeyFilePrivate } from './permissions.ts';
import { prepared } from './statements.ts';

export * from './errors.ts';
export { assertUntouchedSchema, DatabaseBusyError, MigrationError } from './db.ts';
export { TotpKeyError } from './totp-key.ts';
export { DataDirLockedError } from './lock.ts';
export { UntrustedDatabaseError } from './trust.ts';
export { DataDirPermissionError } from './permissions.ts';
export type { Journalist, NewJournalist, KeyFields, RetiredKey, KeyOwner } from './journalists.ts';
export { DESK_NAME, DESK_TEXT_LIMITS, deskText, type Desk, type DeskText, type DeskTexts } from './desks.ts';
export { ADMIN_ACTIONS, type AdminAction, type TakeAwayAction, type ChangeKind, type ChangePayloads, type ChangeResult, type ChangeEffect, type PendingChange, type MoveObject } from './changes.ts';
export { LIST_FILTERS, type ListFilter, type ConversationLine, type ConversationPage } from './conversations.ts';
export { BULK_ACTIONS, type BulkAction, type ConversationSummary } from './bulk.ts';
export type { NewSource, Source } from './sources.ts';
export type { Reply } from './replies.ts';
export type { Thread, ThreadEntry, ThreadItem, ThreadReply } from './thread.ts';
export type { SealedKey } from './access.ts';
export type { SubmissionSummary, SubmissionObjects } from './submissions.ts';
export type { Snapshot } from './backup.ts';
export { GENESIS, checkChain, entryHash, type AuditActor, type AuditDetail, type AuditEntry, type AuditBreak, type ChainCheck, type ChainRow } from './audit.ts';

/** The only code that touches the database and the stored files. */
export type Store = {
  journalists: JournalistRepo;
  submissions: SubmissionRepo;
  /** Folded sends: registration, opening, parts, manifest and completion in one request (routes/source/sends.ts). */
  sends: SendRepo;
  inbox: InboxRepo;
  sources: SourceRepo;
  replies: ReplyRepo;
  /** One conversation as one journalist sees it (its thread, their read state). */
  thread: ThreadRepo;
  settings: SettingsRepo;
  /** Who may see which conversation, item and reply (desks, and keys items are sealed to). */
  access: AccessRepo;
  /** Staff actions, hash-chained (server/audit/ reads and verifies it). */
  audit: AuditRepo;
  /** Desks, their members, and which desk each conversation belongs to. */
  desks: DeskRepo;
  /** Changes to who can read what, held for a second administrator (the two-person rule). */
  changes: ChangeRepo;
  /** Sharing, moving and key rotation: objects re-wrapped in the page, swapped in one transaction. */
  rewrap: RewrapRepo;
  blobs: BlobStore;
  /** Free space where the data directory lives (the upload guard, the journalists' warning). */
  space: Space;
  /** A consistent copy of the database and the objects it names, while the server runs (`sealdrop backup`). */
  snapshot(): Promise<Snapshot>;
  /** SQLite's integrity check: 'ok', or what is wrong. */
  integrity(): string;
  /** How many entries of the data directory (and the key file) were open to other users and were made private by this open (normally 0). */
  tightened: number;
  /** Throws unless the database answers a query (for GET /healthz). */
  ping(): void;
  close(): void;
};

export type StoreOptions = {
  /** The key sealing TOTP secrets; default SEALDROP_KEY_FILE, else secret.key in the data directory. */
  keyFile?: string;
};

export function openStore(dataDir: string, options: StoreOptions = {}): Store {
  const keyFile = options.keyFile ?? keyFileSetting(dataDir);
  const tightened = makeDataDirPrivate(dataDir) + makeKeyFilePrivate(keyFile);
  const db = openDb(path.join(dataDir, 'sealdrop.sqlite'));
  // Before any row is used: a database whose key columns disagree with its keys is refused whole.
  closingOnError(db, () => assertKeysAgree(db));
  const totp = closingOnError(db, () => openTotpSecrets(db, keyFile));
  const blobs = createFileBlobStore(path.join(dataDir, 'objects'));
  // Rows made before schema 9 learn which keys they are sealed to, from their objects' headers.
  closingOnError(db, () => backfillSealedTo(db, path.join(dataDir, 'objects')));
  const journalists = journalistRepo(db, totp);
  const audit = auditRepo(db);
  const desks = deskRepo(db, journalists, audit);
  const rewrap = rewrapRepo(db, blobs);
  const submissions = submissionRepo(db, blobs);
  const sources = sourceRepo(db);
  // One set of visibility checks, shared by the routes (store.access), the list's bulk actions and the thread.
  const access = accessRepo(db);
  return {
    journalists,
    submissions,
    sends: sendRepo(db, blobs, submissions, sources),
    inbox: inboxRepo(db, blobs, access),
    sources,
    replies: replyRepo(db, blobs),
    thread: threadRepo(db, access),
    settings: settingsRepo(db),
    access,
    audit,
    desks,
    // A move re-wraps its files first, then calls finish in the transaction that swaps the pointers.
    changes: changeRepo(db, { journalists, desks, audit }, { move: rewrap.move, planned: rewrap.planned }),
    rewrap,
    blobs,
    space: spaceOf(dataDir),
    snapshot: () => takeSnapshot(db, dataDir, keyFile),
    tightened,
    integrity: () => String(db.pragma('integrity_check', { simple: true })),
    ping: () => void prepared(db, 'SELECT 1').get(),
    close: () => db.close(),
  };
}

// A store that cannot open must not keep the database file held (a retry, or the CLI, needs it).
function closingOnError<T>(db: { close(): void }, action: () => T): T {
  try {
    return action();
  } catch (error) {
    db.close();
    throw error;
  }
}
