import { parentPort } from 'node:worker_threads';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';
import { openBulk } from './bulk-open.ts';

// One of `sealdrop decrypt`'s worker threads: parts are independent OpenPGP messages, so each
// core opens one, natively. The main thread has unwrapped the part's session key (openpgp.js,
// about a millisecond), so a worker loads no openpgp.js and starts in a fraction of a second.
// The plaintext goes back by moving its memory, not by copying it.

const MOVABLE = 64 * 1024;

export type PartTask = { object: Uint8Array; key: OpenedSessionKey };

parentPort!.on('message', ({ object, key }: PartTask) => {
  try {
    const { plaintext, sha256 } = openBulk(object, key);
    // A small buffer may sit in Node's shared pool: only a large one owns its memory and moves.
    parentPort!.postMessage({ ok: true, plaintext, sha256 }, plaintext.byteLength >= MOVABLE ? [plaintext.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  } finally {
    key.data.fill(0);
  }
});
