import { Worker } from 'node:worker_threads';
import { ImageError, type CleanImage } from './image.ts';

/**
 * Decoding and re-encoding a logo takes 30–550 ms of CPU on the 2-core test machine (a
 * 1024 × 1024 JPEG the most), which must not stall the event loop both listeners share. So each
 * upload is rebuilt in a worker thread of its own, one at a time, ended when it answers or after
 * REBUILD_TIMEOUT_MS. Its memory is bounded before decoding (at most 1024 × 1024 pixels, 4 MiB
 * as RGBA; pixel data inflated only to the size the header implies) and its heap by resourceLimits.
 */
export const REBUILD_TIMEOUT_MS = 10_000;

/** A logo is being rebuilt already: refused at once (a 503), nothing changed. */
export class LogoBusyError extends Error {
  override name = 'LogoBusyError';
}

/** The worker did not answer in time: the file is refused, but a stored logo is not judged by it. */
export class LogoTimeoutError extends ImageError {
  override name = 'LogoTimeoutError';
}

let running = false;

export async function rebuildLogo(data: Buffer, timeoutMs = REBUILD_TIMEOUT_MS): Promise<CleanImage> {
  if (running) throw new LogoBusyError('A logo is being rebuilt already.');
  running = true;
  try {
    return await inWorker(data, timeoutMs);
  } finally {
    running = false;
  }
}

type Answer = { ok: true; type: CleanImage['type']; bytes: Uint8Array } | { ok: false; name: string; message: string };

function inWorker(data: Buffer, timeoutMs: number): Promise<CleanImage> {
  const worker = new Worker(new URL('./rebuild-worker-boot.js', import.meta.url), {
    workerData: data,
    resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
  });
  let timer: NodeJS.Timeout | undefined;
  return new Promise<CleanImage>((resolve, reject) => {
    timer = setTimeout(() => reject(new LogoTimeoutError('The logo took too long to read.')), timeoutMs);
    worker.once('message', (m: Answer) => {
      if (m.ok) resolve({ type: m.type, bytes: Buffer.from(m.bytes.buffer, m.bytes.byteOffset, m.bytes.byteLength) });
      else reject(m.name === 'ImageError' ? new ImageError(m.message) : new Error(`The logo could not be rebuilt (${m.name}).`));
    });
    worker.once('error', (error: Error & { code?: string }) =>
      reject(error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? new ImageError('The logo needs too much memory to read.') : error),
    );
    worker.once('exit', () => reject(new Error('The logo worker stopped.')));
  }).finally(() => {
    // Whatever settled first, the worker goes (later events reject a settled promise: no effect).
    clearTimeout(timer);
    void worker.terminate();
  });
}
