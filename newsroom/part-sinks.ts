import { write } from 'node:fs';

// Where a worker puts the file's bytes of a part as it decrypts them, a piece at a time
// (newsroom/bulk-open.ts): copied into memory that moves to the main thread (PlaintextCopy), or
// written straight into the output file at the part's own position (PartWriter), while the piece is
// still in the core's cache: no copy out of the worker, no hand-over, no second pass over 4 MiB.

/** Receives a part's plaintext (the file's bytes and their zero padding) in order, piece by piece. */
export interface PartSink {
  /** The part's plaintext is `length` bytes; called before any put, and again if its framing is read anew. */
  begin(length: number): void;
  /** Plaintext bytes [at, at + bytes.length) of the part. */
  put(bytes: Uint8Array, at: number): void;
  /** Every byte has been put and the part verified (its MDC). */
  end(): void;
}

/** The part's plaintext copied into memory of its own, to be moved (tests and callers holding parts in memory). */
export class PlaintextCopy implements PartSink {
  plaintext: Uint8Array<ArrayBuffer> = new Uint8Array(0);
  begin(length: number): void {
    this.plaintext = new Uint8Array(length);
  }
  put(bytes: Uint8Array, at: number): void {
    this.plaintext.set(bytes, at);
  }
  end(): void {}
}

/**
 * Where a part goes in the output file: `fd` (open for writing in this process; threads share
 * descriptors), its first byte at `position`, and only its first `own` bytes, the file's: the
 * rest of the part is the zero padding, checked and never written.
 */
export type WriteTarget = { fd: number; position: number; own: number };

/** What a worker wrote of a part, for openSubmission to check against the manifest, in order. */
export type WrittenPart = { length: number; sha256: string; at: number; wrote: number; zeroTail: boolean };

/**
 * The part's own bytes written at their position in the output, WRITE_BYTES at a time (the pieces
 * lie one after another in the worker's memory, so several go in one write), by libuv's threads
 * straight from that memory while the worker decrypts the next pieces: written in the worker's own
 * thread the copy into the page cache held the decryption up (512 MiB, medians of 9 rotated runs at
 * load 6-7: 2.09 s against 1.69 s). The memory must stay as it is until settled(). The bytes are
 * written before the MDC is checked at the end of the part: a part that fails makes the whole run
 * fail, and the caller then deletes the output file, so nothing unverified is left behind.
 */
export class PartWriter implements PartSink {
  /** Bytes written, and whether every byte after the part's own ones was zero. */
  wrote = 0;
  zeroTail = true;
  private length = 0;
  private pending: Uint8Array | null = null; // put, not yet written
  private pendingAt = 0;
  /** Writes under way (libuv's threads copy into the page cache while this thread decrypts on). */
  private readonly writing: Promise<void>[] = [];

  constructor(private readonly target: WriteTarget, private readonly writeBytes = WRITE_BYTES) {}

  begin(length: number): void {
    this.length = length;
    this.wrote = 0;
    this.zeroTail = true;
    this.pending = null;
  }

  put(bytes: Uint8Array, at: number): void {
    const own = Math.max(0, Math.min(bytes.length, this.target.own - at));
    if (own < bytes.length) this.zeroTail &&= isZero(bytes.subarray(own));
    if (own > 0) this.queue(bytes.subarray(0, own), at);
  }

  end(): void {
    this.flush();
  }

  /** Waits for every write begun (the part's memory must stay as it is until then), failing if one did. */
  async settled(): Promise<void> {
    const all = await Promise.allSettled(this.writing);
    const failed = all.find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  private queue(bytes: Uint8Array, at: number): void {
    const p = this.pending;
    // Contiguous in memory and in the file: one write for both.
    if (p && p.buffer === bytes.buffer && p.byteOffset + p.length === bytes.byteOffset && this.pendingAt + p.length === at) {
      this.pending = new Uint8Array(p.buffer, p.byteOffset, p.length + bytes.length);
    } else {
      this.flush();
      [this.pending, this.pendingAt] = [bytes, at];
    }
    if (this.pending!.length >= this.writeBytes) this.flush();
  }

  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = null;
    const promise = writeAll(this.target.fd, p, this.target.position + this.pendingAt);
    promise.catch(() => undefined); // reported by settled()
    this.writing.push(promise);
    this.wrote = Math.max(this.wrote, this.pendingAt + p.length);
  }

  /** What the main thread checks; `length` the plaintext's whole length, padding included. */
  result(sha256: string): WrittenPart {
    return { length: this.length, sha256, at: this.target.position, wrote: this.wrote, zeroTail: this.zeroTail };
  }
}

/** Written at most this much at a time (the kernel copies a 4 MiB write() at several times the CPU). */
export const WRITE_BYTES = 256 * 1024;

/** All of `bytes` written at `position`, short writes continued. */
function writeAll(fd: number, bytes: Uint8Array, position: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const from = (done: number) => write(fd, bytes, done, bytes.length - done, position + done, (error, n) => {
      if (error) reject(error);
      else if (n <= 0) reject(new Error('The output file could not be written.'));
      else if (done + n < bytes.length) from(done + n);
      else resolve();
    });
    from(0);
  });
}

function isZero(bytes: Uint8Array): boolean {
  let any = 0;
  for (let i = 0; i < bytes.length; i++) any |= bytes[i]!;
  return any === 0;
}
