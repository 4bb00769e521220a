import { inEnglish, said, type Said } from '../i18n/said.ts';

// Store errors carry a message a person can read (by catalog key, so each reader gets their own
// language; the English wording is the error's message, for the CLI and logs); routes map each class to one HTTP status.
export class StoreError extends Error {
  override name = 'StoreError';
  constructor(readonly said: Said) {
    super(inEnglish(said));
  }
}
/** Something named by the request does not exist (or is not the caller's to see). */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}
/** The request is well formed but conflicts with the current state (e.g. a completed submission). */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
}
/** A value given to the store is malformed (a desk's slug or texts): nothing was changed. */
export class InvalidInputError extends StoreError {
  override name = 'InvalidInputError';
}
/**
 * A change to who can read what was refused for a reason a script can act on: `same_admin` (the
 * requester cannot confirm their own change), `not_admin` (only an administrator confirms),
 * `change_changed` (not the change shown), `move_withdrawn` (the conversation changed since the
 * move was asked for: the move is dropped and must be asked for again).
 */
export class ChangeRefusedError extends ConflictError {
  override name = 'ChangeRefusedError';
  constructor(
    said: Said,
    readonly code: 'same_admin' | 'not_admin' | 'change_changed' | 'move_withdrawn',
  ) {
    super(said);
  }
}
/** A submission was completed before all its objects arrived. */
export class IncompleteError extends StoreError {
  override name = 'IncompleteError';
}
/** A signed source session outlived its source (deleted by the newsroom or by retention). */
export class SourceGoneError extends StoreError {
  override name = 'SourceGoneError';
  constructor() {
    super(said('error.sourceGone'));
  }
}
/** The data directory's disk is full, or below the free-space floor: nothing was stored. */
export class DiskFullError extends StoreError {
  override name = 'DiskFullError';
  /** True when the free-space guard refused before anything was written (the disk is not full yet). */
  readonly guard: boolean;
  constructor({ guard = false } = {}) {
    super(said('error.noSpace'));
    this.guard = guard;
  }
}

/** Disk-full failures from the filesystem (ENOSPC, EDQUOT) and SQLite (SQLITE_FULL), as one class. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}
