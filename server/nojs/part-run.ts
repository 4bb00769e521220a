import type { SubmissionSealer } from '../../common/envelope/index.ts';
import { HttpError } from '../http/errors.ts';
import { said } from '../i18n/said.ts';
import type { Store } from '../store/index.ts';
import type { Reservation } from '../store/space.ts';
import type { WrittenPart } from '../store/written.ts';
import { PartMemories, type PartMemory, type SealInPlace } from './part-memory.ts';

// Parts being encrypted while the next one arrives: with one filling, at most three parts of
// plaintext are held, in memory only. A part is sealed where it lies, its plaintext overwritten by
// its ciphertext, so a slow disk holds ciphertext, never plaintext.
const IN_FLIGHT = 2;
// Parts being encrypted or stored at once: each fsync waits on the disk, and overlapping them
// keeps a busy disk from stalling the upload. Three, not more: the fsyncs wait in libuv's four
// threads, and one is left for the other uploads' files.
const HELD = 3;
/** The part memories one upload holds at most: the one being filled and those HELD. */
export const PART_MEMORIES = HELD + 1;

type Deferred = { promise: Promise<string>; resolve: (digest: string) => void; reject: (error: unknown) => void };
export type PartRunOptions = {
  store: Store;
  partSize: number;
  maxParts: number;
  recipients: number;
  seal: SealInPlace;
  /** The space a sealed part of `bytes` is written into (store/space.ts); told once it is written. */
  room?: (bytes: number) => Promise<Reservation>;
};

/**
 * One no-JS upload's parts as they are filled, sealed (in order of arrival, IN_FLIGHT at once) and
 * stored: its memory bound, and no plaintext left behind whatever fails (non-negotiable 1).
 */
export class PartRun {
  readonly parts: WrittenPart[] = [];
  readonly #o: PartRunOptions;
  readonly #memories: PartMemories;
  readonly #jobs = new Set<Promise<void>>();
  // Each part's SHA-256, computed by the worker that seals it and asked for by the sealer.
  readonly #digests = new Map<Uint8Array, Deferred>();
  #filling: PartMemory | null = null;
  #sealing = 0;
  #failure: unknown = null;
  #n = 0;
  #wake: (() => void) | null = null;

  constructor(o: PartRunOptions) {
    this.#o = o;
    this.#memories = new PartMemories(o.partSize, o.recipients, PART_MEMORIES);
  }

  /** Fills parts from `stream` and starts each full one; returns how many bytes the last (the one filling) holds. */
  async read(stream: AsyncIterable<Buffer>, sealer: SubmissionSealer): Promise<number> {
    const size = this.#o.partSize;
    let part = (this.#filling = this.#memories.take());
    let filled = 0;
    for await (const chunk of stream) {
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(chunk.length - offset, size - filled);
        // fill() with a value exactly as long as the range is one memcpy into the shared memory;
        // copy() and set() go through V8's element-wise copy for shared memory, 5-10 times slower
        // (0.2 s of the event loop's CPU per 512 MiB).
        part.plaintext.fill(chunk.subarray(offset, offset + take), filled, filled + take);
        filled += take;
        offset += take;
        if (filled < size) continue;
        const full = part;
        this.#filling = null;
        await this.#start(() => sealer.sealPart(full.plaintext), full);
        part = this.#filling = this.#memories.take();
        filled = 0;
      }
    }
    return filled;
  }

  /** The last bytes and the zero padding up to the file's size class, then every part stored. */
  async end(sealer: SubmissionSealer, filled: number): Promise<void> {
    // Once at most one part is sealing: with the tail and sealEnd's copy of it, three parts of plaintext, not four.
    await this.#until(() => this.#sealing < IN_FLIGHT);
    for await (const object of sealer.sealEnd(this.#filling!.plaintext.subarray(0, filled))) await this.#start(async () => object, null);
    await Promise.all(this.#jobs);
    if (this.#failure) throw this.#failure;
  }

  /** The sealer's encrypt: seals a part where it lies; sealEnd's parts (the tail's copy, zeros) are copied in first. */
  async seal(plaintext: Uint8Array): Promise<Uint8Array> {
    const part = this.#memories.of(plaintext) ?? this.#copyIn(plaintext);
    const digest = this.#digest(plaintext);
    this.#digests.delete(plaintext);
    try {
      const span = await this.#o.seal(part.memory, part.at, plaintext.length);
      digest.resolve(span.sha256);
      return part.object(span);
    } catch (error) {
      this.#memories.drop(part); // erased: a failed seal may have left plaintext in it
      digest.reject(error);
      throw error;
    }
  }

  /** The sealer's digest: a part's SHA-256, once the worker sealing it has it. */
  digest(plaintext: Uint8Array): Promise<string> {
    return this.#digest(plaintext).promise;
  }

  /** After a failure: the part being filled is erased, and every part begun has settled. */
  async abandon(): Promise<void> {
    if (this.#filling) this.#memories.give(this.#filling.erase());
    this.#filling = null;
    await Promise.all(this.#jobs);
  }

  #digest(plaintext: Uint8Array): Deferred {
    let deferred = this.#digests.get(plaintext);
    if (!deferred) {
      const d = { resolve: (_: string) => {}, reject: (_: unknown) => {} } as Deferred;
      d.promise = new Promise((resolve, reject) => Object.assign(d, { resolve, reject }));
      this.#digests.set(plaintext, (deferred = d));
    }
    return deferred;
  }

  #copyIn(plaintext: Uint8Array): PartMemory {
    // sealEnd copied the tail into its first part: the tail's memory is erased and holds that copy.
    if (this.#filling) this.#memories.give(this.#filling.erase());
    this.#filling = null;
    const part = this.#memories.take();
    part.plaintext.set(plaintext);
    plaintext.fill(0); // sealEnd's copy: not left in memory either
    return part;
  }

  /** Waits for a free place, then seals and stores part `n` in the background; `part` is its memory, to erase if refused. */
  async #start(seal: () => Promise<Uint8Array>, part: PartMemory | null): Promise<void> {
    try {
      await this.#until(() => this.#sealing < IN_FLIGHT && this.#jobs.size < HELD);
      if (this.#failure) throw this.#failure;
      if (++this.#n > this.#o.maxParts) throw new HttpError(413, said('error.fileTooLarge'));
    } catch (error) {
      if (part) this.#memories.give(part.erase()); // refused (too many parts, or an earlier part failed)
      throw error;
    }
    const n = this.#n;
    this.#sealing++;
    const job: Promise<void> = seal()
      .catch((error: unknown) => {
        if (part) this.#memories.drop(part); // failed before or while sealing: erased
        throw error;
      })
      .finally(() => this.#changed(this.#sealing--))
      .then((object) => this.#store(n, object))
      .catch((error: unknown) => void (this.#failure ??= error))
      .finally(() => this.#changed(this.#jobs.delete(job)));
    this.#jobs.add(job);
  }

  async #store(n: number, object: Uint8Array): Promise<void> {
    try {
      const room = await this.#o.room?.(object.length);
      try {
        this.parts.push({ n, blob: await this.#o.store.blobs.put(object), size: object.length });
        room?.written(object.length); // on disk now: a statfs counts it from here on
      } finally {
        room?.release(); // never written (the put failed): given back, the free figure unchanged
      }
    } finally {
      this.#memories.give(this.#memories.of(object)!); // ciphertext only: used again for a next part
    }
  }

  #changed(_: unknown): void {
    this.#wake?.();
    this.#wake = null;
  }

  async #until(ready: () => boolean): Promise<void> {
    while (!ready()) await new Promise<void>((resolve) => (this.#wake = resolve));
  }
}
