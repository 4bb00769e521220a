import { readJournalistKey, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { HttpError } from '../http/errors.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Store } from '../store/index.ts';
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
  /** Encrypts a part elsewhere (the worker pool), so that the next part is read meanwhile; else here, natively. */
  encrypt?: (plaintext: Uint8Array) => Promise<Uint8Array>;
};

// Parts being encrypted while the next one arrives: with one filling, at most three parts of
// plaintext are held, in memory only. A sealed part's plaintext is erased (or was moved to the
// worker, which erases it) before it is stored, so a slow disk holds ciphertext, never plaintext.
const IN_FLIGHT = 2;
// Parts being encrypted or stored at once: each fsync waits on the disk, and overlapping them
// keeps a busy disk from stalling the upload. Three, not more: the fsyncs wait in libuv's four
// threads, and one is left for the parts' SHA-256 (WebCrypto) and the other uploads' files.
const HELD = 3;

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
 * Encrypts plaintext as it arrives into the standard envelope and stores each part; plaintext is
 * never written to disk. Returns the id of a pending submission (parts and manifest stored) that
 * the caller completes or discards.
 */
export async function sealStream(stream: AsyncIterable<Buffer>, o: StreamSealOptions): Promise<string> {
  const id = o.store.submissions.create(o.sourceId, o.maxParts, { resumable: false });
  // Read now, while the parts arrive, so that the end of the upload waits on nothing new.
  const own = ownKey(o.store, o.sourceId);
  const jobs = new Set<Promise<void>>();
  let sealing = 0;
  let failure: unknown = null;
  let n = 0;
  let wake: (() => void) | null = null;
  const changed = () => {
    wake?.();
    wake = null;
  };
  /** Waits for a free place, then seals and stores part `n` in the background. */
  const start = async (seal: () => Promise<Uint8Array>, plaintext: Buffer | null) => {
    while (sealing >= IN_FLIGHT || jobs.size >= HELD) await new Promise<void>((resolve) => (wake = resolve));
    if (failure) throw failure;
    if (++n > o.maxParts) throw new HttpError(413, said('error.fileTooLarge'));
    const part = n;
    sealing++;
    const job: Promise<void> = seal()
      .finally(() => {
        // Best effort: this part's plaintext does not linger (a part moved to the worker is empty here).
        if (plaintext?.byteLength) plaintext.fill(0);
        sealing--;
        changed();
      })
      .then((ciphertext) => o.store.submissions.putPart(id, part, ciphertext))
      .catch((error: unknown) => void (failure ??= error))
      .finally(() => {
        jobs.delete(job);
        changed();
      });
    jobs.add(job);
  };
  try {
    const sealer = new SubmissionSealer({ submission: id, name: o.name, type: o.type, recipients: o.recipients, partSize: o.partSize, hasher: nativeHasher, encrypt: o.encrypt ?? ((data) => sealObject(data, o.recipients)) });
    let buffer = Buffer.alloc(o.partSize);
    let filled = 0;
    for await (const chunk of stream) {
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(chunk.length - offset, o.partSize - filled);
        chunk.copy(buffer, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled < o.partSize) continue;
        const full = buffer;
        await start(() => sealer.sealPart(full), full);
        buffer = Buffer.alloc(o.partSize);
        filled = 0;
      }
    }
    // The last bytes and the zero padding up to the file's size class, a part at a time.
    for await (const ciphertext of sealer.sealEnd(buffer.subarray(0, filled))) await start(async () => ciphertext, null);
    buffer.fill(0, 0, filled);
    await Promise.all(jobs);
    if (failure) throw failure;
    o.store.submissions.declareParts(id, n);
    await o.store.submissions.putManifest(id, await sealer.sealManifest(await own));
    return id;
  } catch (error) {
    await Promise.all(jobs);
    await o.store.submissions.discard(id).catch(() => undefined);
    throw error;
  }
}
