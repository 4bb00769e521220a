import { readJournalistKey, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { HttpError } from '../http/errors.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Store } from '../store/index.ts';
import type { WrittenPart, WrittenUpload } from '../store/written.ts';
import { said } from '../i18n/said.ts';
import { sealObject } from './seipd.ts';

export type StreamSealOptions = {
  store: Store;
  recipients: PublicKey[];
  sourceId: string;
  name: string;
  type: string;
  partSize: number;
  maxParts: number;
  /**
   * Whether the manifest carries the whole file's SHA-256: the route says no for a form over 64 MiB,
   * as the page does (its NATIVE_DIGEST_MAX); hashing every byte a third time on the event loop was
   * a tenth of its time, and the part digests already cover every byte.
   */
  wholeFileDigest: boolean;
  /**
   * Encrypts a part elsewhere (the worker pool), so that the next part is read meanwhile; else here,
   * natively. `spent`: the plaintext's memory, erased, handed back to hold a next part.
   */
  encrypt?: (plaintext: Uint8Array) => Promise<{ sealed: Uint8Array; spent?: Uint8Array }>;
};

// Parts being encrypted while the next one arrives: with one filling, at most three parts of
// plaintext are held, in memory only. A sealed part's plaintext is erased (or was moved to the
// worker, which erases it) before it is stored, so a slow disk holds ciphertext, never plaintext.
const IN_FLIGHT = 2;
// Parts being encrypted or stored at once: each fsync waits on the disk, and overlapping them
// keeps a busy disk from stalling the upload. Three, not more: the fsyncs wait in libuv's four
// threads, and one is left for the parts' SHA-256 (WebCrypto) and the other uploads' files.
const HELD = 3;
const NONE = Buffer.alloc(0);

/**
 * The source's own key: the manifest is sealed to it too, so that the source's page (with
 * JavaScript) shows the item's name. None for a source whose stored key cannot be read (made before
 * codenames): it is sealed to the newsroom only, and simply shows no name.
 */
async function ownKey(store: Store, sourceId: string): Promise<PublicKey[]> {
  try {
    return [(await readJournalistKey(store.sources.get(sourceId).publicKey)).key];
  } catch {
    return [];
  }
}

/**
 * Encrypts plaintext as it arrives into the standard envelope and writes each part (fsynced);
 * plaintext is never written to disk. Returns a pending submission whose parts and manifest are
 * written but not recorded: the caller completes it (store.submissions.completeWritten) or
 * discards it (discardWritten), which deletes the objects too.
 */
export async function sealStream(stream: AsyncIterable<Buffer>, o: StreamSealOptions): Promise<WrittenUpload> {
  const id = o.store.submissions.create(o.sourceId, o.maxParts, { resumable: false });
  // Read now, while the parts arrive, so that the end of the upload waits on nothing new.
  const own = ownKey(o.store, o.sourceId);
  const jobs = new Set<Promise<void>>();
  const parts: WrittenPart[] = [];
  let manifest: string | null = null;
  let sealing = 0;
  let failure: unknown = null;
  let n = 0;
  let wake: (() => void) | null = null;
  // Erased part buffers, reused for the next part; at most IN_FLIGHT are kept. While the file
  // arrives no more come back (IN_FLIGHT sealing, one filling: three in all), but sealEnd's parts
  // come back too, each padding part at full size: unbounded, a file just above a size class kept
  // one more per padding part (19 parts, 76 MiB, held at the end of 2 GiB + 1 byte at 4 MiB).
  const spare: Buffer[] = [];
  const reuse = (memory: Uint8Array | undefined) => {
    if (memory?.byteLength === o.partSize && spare.length < IN_FLIGHT) spare.push(Buffer.from(memory.buffer, memory.byteOffset, memory.byteLength));
  };
  const encrypt = o.encrypt ? async (data: Uint8Array) => {
    const { sealed, spent } = await o.encrypt!(data);
    reuse(spent);
    return sealed;
  } : (data: Uint8Array) => sealObject(data, o.recipients);
  const changed = () => {
    wake?.();
    wake = null;
  };
  const until = async (ready: () => boolean) => {
    while (!ready()) await new Promise<void>((resolve) => (wake = resolve));
  };
  /** Waits for a free place, then seals and stores part `n` in the background; `plaintext` is its to erase. */
  const start = async (seal: () => Promise<Uint8Array>, plaintext: Buffer | null) => {
    try {
      await until(() => sealing < IN_FLIGHT && jobs.size < HELD);
      if (failure) throw failure;
      if (++n > o.maxParts) throw new HttpError(413, said('error.fileTooLarge'));
    } catch (error) {
      plaintext?.fill(0); // refused (too many parts, or an earlier part failed): not left in memory either
      throw error;
    }
    const part = n;
    sealing++;
    const job: Promise<void> = seal()
      .finally(() => {
        // Best effort: this part's plaintext does not linger (a part moved to the worker is empty here).
        if (plaintext?.byteLength) reuse(plaintext.fill(0));
        sealing--;
        changed();
      })
      .then(async (ciphertext) => void parts.push({ n: part, blob: await o.store.blobs.put(ciphertext), size: ciphertext.length }))
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => {
        jobs.delete(job);
        changed();
      });
    jobs.add(job);
  };
  const fresh = () => spare.pop() ?? Buffer.alloc(o.partSize);
  // The part being filled; empty while a full one is handed to start, which then owns it.
  let buffer: Buffer = NONE;
  try {
    const sealer = new SubmissionSealer({ submission: id, name: o.name, type: o.type, recipients: o.recipients, partSize: o.partSize, hasher: nativeHasher, encrypt, ...(o.wholeFileDigest ? {} : { wholeFileDigest: null }) });
    buffer = fresh();
    let filled = 0;
    for await (const chunk of stream) {
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(chunk.length - offset, o.partSize - filled);
        chunk.copy(buffer, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled < o.partSize) continue;
        const full = buffer;
        buffer = NONE;
        await start(() => sealer.sealPart(full), full);
        buffer = fresh();
        filled = 0;
      }
    }
    // The last bytes and the zero padding up to the file's size class, a part at a time, once at
    // most one part is sealing: sealEnd copies the tail into its first part, and with that copy
    // and the tail, three parts of plaintext are held, not four.
    await until(() => sealing < IN_FLIGHT);
    for await (const ciphertext of sealer.sealEnd(buffer.subarray(0, filled))) {
      // sealEnd copied the tail into its first part, now sealed: erased here, not after the padding.
      buffer.fill(0, 0, filled);
      filled = 0;
      await start(async () => ciphertext, null);
    }
    await Promise.all(jobs);
    if (failure) throw failure;
    manifest = await o.store.blobs.put(await sealer.sealManifest(await own));
    return { id, parts: parts.sort((a, b) => a.n - b.n), manifest };
  } catch (error) {
    buffer.fill(0); // a cut or refused upload: the part being filled holds up to a part of plaintext
    await Promise.all(jobs);
    await discardWritten(o.store, { id, parts, manifest });
    throw error;
  }
}

/** Drops a pending no-JS upload: its row, and the objects written for it (no row names them). */
export async function discardWritten(store: Store, upload: { id: string; parts: readonly WrittenPart[]; manifest: string | null }): Promise<void> {
  await store.submissions.discard(upload.id).catch(() => undefined);
  const names = [...upload.parts.map((p) => p.blob), ...(upload.manifest ? [upload.manifest] : [])];
  await Promise.all(names.map((name) => store.blobs.delete(name).catch(() => undefined)));
}
