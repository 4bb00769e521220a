// An octet-stream body of a declared length, read into one buffer as it arrives. body-parser keeps
// every chunk and joins them at the end: a second copy of each 4 MiB part made in one go on the
// event loop, and twice the part's memory until the chunks are collected (a profile of 20 clients
// sending 16 MiB each: the join 257 ms, about 6% of the server's CPU, and much of its garbage).
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.ts';
import { said } from '../i18n/said.ts';

const cut = () => new HttpError(400, said('error.unreadable', { status: 400 }));

/**
 * Resolves with exactly `length` bytes, or refuses (400) a body that ends shorter or runs longer
 * (node's parser never passes more than the Content-Length; the check is kept anyway) or a
 * connection that closes first. The buffer is left uninitialised: its pages are given by the kernel
 * as bytes are written into them, so a body that claims 4 MiB and sends 10 KB holds about 10 KB of
 * new memory, not 4 MiB; and none of it is read before all of it was written.
 */
export function readDeclared(req: IncomingMessage, length: number, into?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const body = into ? into.subarray(0, length) : Buffer.allocUnsafeSlow(length);
    let at = 0;
    const settle = (error: Error | null) => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('close', onClose);
      if (error) return reject(error);
      resolve(body);
    };
    const onData = (chunk: Buffer) => {
      if (at + chunk.length > length) {
        settle(cut());
        req.resume(); // the rest is read and dropped, as for any refused body
        return;
      }
      chunk.copy(body, at);
      at += chunk.length;
    };
    const onEnd = () => settle(at === length ? null : cut());
    const onError = (error: Error) => settle(error);
    // Closed before its end: the client went away (the answer will reach nobody).
    const onClose = () => settle(cut());
    req.on('data', onData).on('end', onEnd).on('error', onError).on('close', onClose);
  });
}

/**
 * Buffers of one capacity handed from a finished request to the next. A new 4 MiB buffer per part
 * cost its page faults (the copy into it ran at about 1.3 GB/s) and, as external memory, a full
 * collection every few parts. A buffer goes back only when its route has settled (every write and
 * check of it done), never when the connection closes: a write may still be reading it then.
 * Its old bytes (another request's ciphertext) are overwritten before anything reads them: the
 * reader fills all of what it hands on, or refuses.
 */
export class BodyPool {
  private readonly idle: Buffer[] = [];
  private readonly lent = new WeakMap<object, Buffer>();
  constructor(
    readonly capacity: number,
    private readonly keep: number,
  ) {}
  /** A buffer for `owner`'s body, until `settled(owner)`. */
  lend(owner: object): Buffer {
    const buffer = this.idle.pop() ?? Buffer.allocUnsafeSlow(this.capacity);
    this.lent.set(owner, buffer);
    return buffer;
  }
  /** `owner` is done with its buffer: call only once nothing of it can still be read or written. */
  settled(owner: object): void {
    const buffer = this.lent.get(owner);
    this.lent.delete(owner);
    if (buffer && this.idle.length < this.keep) this.idle.push(buffer);
  }
}
