import type { ChangeResult, Store } from '../store/index.ts';

// What the CLI says about the two-person rule. The CLI has no identity of its own: what it asks for
// that adds a reader is a change like any other, confirmed on the web by a logged-in administrator.

export const PENDING = 'pending: a second administrator must confirm it on the web (Admin > Changes)';

/** With fewer than two active administrators, changes to who can read what apply at once: say so. */
export function warnFewAdmins(store: Store): void {
  if (store.journalists.activeAdminCount() >= 2) return;
  console.error('sealdrop: warning: this newsroom has fewer than two active administrators, so this applied at once: the two-person rule needs two administrators.');
}

/** `done` when the change applied; else that it waits, and its number on the Changes page. */
export function reportChange(store: Store, result: ChangeResult, done: string, what: string): void {
  if (result.applied) {
    console.log(done);
    warnFewAdmins(store);
  } else console.log(`${what}: ${PENDING} (change ${result.id}).`);
}
