import { parentPort } from 'node:worker_threads';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';
import { openBulkInPlace, readPartAligned } from './bulk-open.ts';

// One of `sealdrop decrypt`'s worker threads: parts are independent OpenPGP messages, so each
// core reads one and opens it, natively. The main thread has read the part's first bytes and
// unwrapped its session key (openpgp.js, about a millisecond), so a worker loads no openpgp.js
// and starts in a fraction of a second. The plaintext goes back by moving its memory, not by
// copying it. A part read here is read whole again: a file changed since the main thread read its
// header only fails (the session key no longer opens it, or its MDC or digest is wrong).

const MOVABLE = 64 * 1024;

/** A whole part, as bytes or as the path of its file (read here, off the main thread). */
export type PartTask = { object: Uint8Array | string; key: OpenedSessionKey; spare?: ArrayBuffer };

/** Memory the main thread gave back (PartPool.recycle), one part's plaintext it has written. */
let spare: ArrayBuffer | undefined;

parentPort!.on('message', ({ object, key, spare: given }: PartTask) => {
  spare = given ?? spare;
  try {
    const read = typeof object === 'string' ? readPartAligned(object, spare) : object;
    if (read.buffer === spare) spare = undefined; // it goes back with the plaintext
    const { plaintext, sha256 } = openBulkInPlace(read, key);
    // A small buffer may sit in Node's shared pool: only a large one owns its memory and moves
    // (a short last part read into a spare too, rather than a copy of all of it).
    parentPort!.postMessage({ ok: true, plaintext, sha256 }, plaintext.buffer.byteLength >= MOVABLE ? [plaintext.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  } finally {
    key.data.fill(0);
  }
});
