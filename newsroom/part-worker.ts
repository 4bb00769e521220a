import { parentPort, workerData } from 'node:worker_threads';
import { readPrivateKey, splitHeader } from '../common/envelope/index.ts';
import { sessionKeyOpener } from '../common/envelope/session-key.ts';
import { openBulk } from './bulk-open.ts';
import type { KeySource } from './decrypt-keys.ts';

// One of `sealdrop decrypt`'s worker threads: parts are independent OpenPGP messages, so each
// core opens one: the session key with openpgp.js (ECDH in JavaScript, about as costly as the
// bulk layer of a 4 MiB part), the rest natively. The plaintext goes back by moving its memory.

const MOVABLE = 64 * 1024;
const sources = (workerData as { keys: KeySource[] }).keys;
const opener = Promise.all(sources.map((k) => readPrivateKey(k.text, k.passphrase))).then(sessionKeyOpener);
opener.catch(() => undefined); // reported with the first part

export type PartTask = { object: Uint8Array };

parentPort!.on('message', async ({ object }: PartTask) => {
  try {
    const key = await (await opener)(object.subarray(0, splitHeader(object).sealedAt));
    const { plaintext, sha256 } = openBulk(object, key);
    key.data.fill(0);
    // A small buffer may sit in Node's shared pool: only a large one owns its memory and moves.
    parentPort!.postMessage({ ok: true, plaintext, sha256 }, plaintext.byteLength >= MOVABLE ? [plaintext.buffer as ArrayBuffer] : []);
  } catch (error) {
    parentPort!.postMessage({ ok: false, message: (error as Error).message });
  }
});
