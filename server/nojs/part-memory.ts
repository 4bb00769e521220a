import type { PublicKey } from '../../common/envelope/index.ts';
import { sealObjectInPlace, type SealedSpan } from './seipd.ts';

// A no-JavaScript upload's parts are filled, sealed and stored in memory shared with the sealing
// workers (a SharedArrayBuffer per part, reused part after part). Parts used to move to a worker
// and their ciphertext back: every 4 MiB that arrives through postMessage is new external memory
// to V8, and each 64 MB of it set off a full collection on both threads (a 256 MiB upload: ten
// on the event loop, twenty in the worker). Shared memory is posted, not moved, and is none of that.

// Room before a part for what precedes its bytes in the object: the PKESKs (v3, one per
// recipient: 96 bytes for cv25519, 527 for RSA-4096; this leaves room for RSA keys of 32,768
// bits), the SEIPD packet's header and version, the CFB prefix and the literal packet's header.
// A part of 8,378 bytes or more has 30 bytes of the encrypted stream before it (prefix 18, literal
// head 12): at 66 + 4200 per recipient (2 mod 4) that stream begins on a 4-byte boundary, where
// sealInPlace XORs its keystream a word at a time without a copy (nojs/cfb-cbc.ts).
const HEAD = 66;
const PER_RECIPIENT = 4200;
// After it: the MDC packet (2 + 20 bytes).
const TAIL = 22;

/** Seals `length` bytes at `at` in `memory` where they lie (seipd.ts, sealInPlace), in a worker or here. */
export type SealInPlace = (memory: SharedArrayBuffer, at: number, length: number) => Promise<Required<SealedSpan>>;

/** Seals on this thread: for callers without a worker pool (tests). */
export const sealHere = (recipients: PublicKey[]): SealInPlace => (memory, at, length) => sealObjectInPlace(new Uint8Array(memory), at, length, recipients);

/** One part's memory: its plaintext at `at` (`plaintext`, partSize bytes), its object around it once sealed. */
export class PartMemory {
  readonly memory: SharedArrayBuffer;
  readonly plaintext: Buffer;
  constructor(readonly at: number, partSize: number) {
    this.memory = new SharedArrayBuffer(at + partSize + TAIL);
    this.plaintext = Buffer.from(this.memory, at, partSize);
  }

  /** The sealed object, as sealInPlace placed it. */
  object({ start, end }: SealedSpan): Buffer {
    return Buffer.from(this.memory, start, end - start);
  }

  /** Erases all of it: a part whose sealing failed, or the one being filled when the upload ends early. */
  erase(): this {
    new Uint8Array(this.memory).fill(0);
    return this;
  }
}

/**
 * The part memories of one upload: at most `most` exist at once (the part being filled and those
 * being sealed or stored), each used again once its object is stored. Asking for one more is a
 * bug, refused, not memory that grows with the file.
 */
export class PartMemories {
  readonly #at: number;
  readonly #spare: PartMemory[] = [];
  readonly #inUse = new Map<SharedArrayBuffer, PartMemory>();

  constructor(readonly partSize: number, recipients: number, readonly most: number) {
    this.#at = HEAD + PER_RECIPIENT * recipients;
  }

  take(): PartMemory {
    if (this.#inUse.size >= this.most) throw new Error('More part memories asked for than an upload may hold.');
    const part = this.#spare.pop() ?? new PartMemory(this.#at, this.partSize);
    this.#inUse.set(part.memory, part);
    return part;
  }

  /** The memory an object or a plaintext view lies in, if it is one of these. */
  of(view: Uint8Array): PartMemory | undefined {
    return this.#inUse.get(view.buffer as SharedArrayBuffer);
  }

  /** Back for a next part: its object was stored, or it was erased. */
  give(part: PartMemory): void {
    if (this.#inUse.delete(part.memory)) this.#spare.push(part);
  }

  /** Dropped for good (erased first): a worker that overran a part may still be writing in it. */
  drop(part: PartMemory): void {
    this.#inUse.delete(part.erase().memory);
  }

  /** How many exist now, in use or spare. */
  get count(): number {
    return this.#inUse.size + this.#spare.length;
  }
}
