import { setImmediate as yieldToOthers } from 'node:timers/promises';
import { checkChain, type ChainCheck, type Store } from '../store/index.ts';

/** Entries hashed between two yields: a few milliseconds of work (about 13 µs an entry on the test machine under load). */
const SLICE = 2000;

/**
 * The whole chain checked as `store.audit.check()` does, but a slice at a time, yielding to the
 * event loop in between: the web page checks it on every visit, and a log of years (100,000
 * entries took 1.35 s in one piece) must not hold up sources' uploads meanwhile. Entries
 * appended during the walk are checked too; the head is the last entry checked.
 */
export async function checkInSlices(store: Store, slice = SLICE): Promise<ChainCheck> {
  let state = checkChain([]);
  for (;;) {
    const rows = store.audit.rows(state.head.seq, slice);
    state = checkChain(rows, state);
    if (state.broken || rows.length < slice) return state;
    await yieldToOthers();
  }
}
