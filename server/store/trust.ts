/**
 * A database file that is not what Sealdrop's own code made of it: a forged or tampered backup,
 * or a data directory someone else wrote. Opening it is refused, before any row is used; `code`
 * is stable for scripts and tests, the message says what was found and what to do.
 */
export class UntrustedDatabaseError extends Error {
  override name = 'UntrustedDatabaseError';
  constructor(
    /** `schema_altered`: a table, column, index, trigger or view the migrations did not make; `key_mismatch`: a row's key fields disagree with its key. */
    readonly code: 'schema_altered' | 'key_mismatch',
    detail: string,
  ) {
    super(`${detail}. This database was not written by Sealdrop as it is: it was forged or altered, so Sealdrop will not use it. Restore a backup you made yourself (check its --sha256), or ask who had access to the data directory. [${code}]`);
  }
}
