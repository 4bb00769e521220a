// A part's plaintext and ciphertext (4 MiB by default) cross between threads by moving their
// memory, not copying it: two copies of every part, and the garbage they made, were a large share
// of the no-JavaScript path's time. Only a buffer that is all of its own memory moves; a small
// Buffer may share Node's pool with unrelated data, and moving that would take the data with it.
const SMALLEST = 64 * 1024;

/** The memory to move with `data` (postMessage's transfer list): none unless `data` owns all of it. */
export function movable(data: unknown): ArrayBuffer[] {
  if (!(data instanceof Uint8Array) || data.byteLength < SMALLEST) return [];
  const { buffer } = data;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength ? [buffer] : [];
}
