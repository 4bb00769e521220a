import { parentPort, workerData } from 'node:worker_threads';
import { cleanImage } from './image.ts';

// One logo per worker: decode and re-encode, answer, and the worker is ended by its parent.
const data = workerData as Uint8Array;
try {
  const clean = cleanImage(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  parentPort!.postMessage({ ok: true, type: clean.type, bytes: clean.bytes });
} catch (error) {
  // The class and message only: an ImageError's message says what is wrong with the file.
  parentPort!.postMessage({ ok: false, name: (error as Error).name, message: (error as Error).message });
}
