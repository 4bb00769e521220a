import { parentPort } from 'node:worker_threads';
import type { OpenedSessionKey } from '../common/envelope/session-key.ts';
import { PartOpener } from './bulk-open.ts';
import type { WriteTarget } from './part-sinks.ts';

// One of `sealdrop decrypt`'s worker threads: parts are independent OpenPGP messages, so each
// core reads one and opens it, natively. The main thread has read the part's first bytes and
// unwrapped its session key, so a worker loads no openpgp.js and starts in a fraction of a
// second. Given a target (sealdrop decrypt), the worker writes the part's own bytes into the output
// itself and sends back only what openSubmission checks; otherwise the plaintext goes back by
// moving its memory, not by copying it. A part read here is read whole again: a file changed since the main thread read its
// header only fails (the session key no longer opens it, or its MDC or digest is wrong).

/**
 * A whole part, as bytes or as the path of its file (read here, off the main thread); with a
 * target, its file's bytes are written here into the output (the path only), not sent back.
 */
export type PartTask = { object: Uint8Array | string; key: OpenedSessionKey; target?: WriteTarget };

const opener = new PartOpener();

parentPort!.on('message', async ({ object, key, target }: PartTask) => {
  try {
    if (target && typeof object === 'string') return void parentPort!.postMessage({ ok: true, written: await opener.openFileTo(object, key, target) });
    const { plaintext, sha256 } = typeof object === 'string' ? opener.openFile(object, key) : opener.openBytes(object, key);
    // The plaintext's memory is its own (new), never a view into a shared pool: it moves.
    parentPort!.postMessage({ ok: true, plaintext, sha256 }, [plaintext.buffer as ArrayBuffer]);
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  } finally {
    key.data.fill(0);
  }
});
