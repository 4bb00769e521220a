// Store errors carry a message a person can read; routes map each class to one HTTP status.
export class StoreError extends Error {
  override name = 'StoreError';
}
/** Something named by the request does not exist (or is not the caller's to see). */
export class NotFoundError extends StoreError {
  override name = 'NotFoundError';
}
/** The request is well formed but conflicts with the current state (e.g. a completed submission). */
export class ConflictError extends StoreError {
  override name = 'ConflictError';
}
/** A submission was completed before all its objects arrived. */
export class IncompleteError extends StoreError {
  override name = 'IncompleteError';
}
/** A signed source session outlived its source (deleted by the newsroom or by retention). */
export class SourceGoneError extends StoreError {
  override name = 'SourceGoneError';
  constructor() {
    super('Your conversation is no longer on the server (the newsroom or the retention period removed it). Nothing was stored; reload the page to start again.');
  }
}
/** The data directory's disk is full, or below the free-space floor: nothing was stored. */
export class DiskFullError extends StoreError {
  override name = 'DiskFullError';
  /** True when the free-space guard refused before anything was written (the disk is not full yet). */
  readonly guard: boolean;
  constructor({ guard = false } = {}) {
    super('The newsroom’s server is out of storage space, so it cannot take this right now. Nothing was stored. Please try again in a day or two.');
    this.guard = guard;
  }
}

/** Disk-full failures from the filesystem (ENOSPC, EDQUOT) and SQLite (SQLITE_FULL), as one class. */
export function isDiskFull(error: unknown): boolean {
  const code = (error as { code?: unknown })?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL';
}
