import { readJournalistKey, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Store } from '../store/index.ts';
import type { Reservation } from '../store/space.ts';
import type { WrittenPart, WrittenUpload } from '../store/written.ts';
import { sealHere, type SealInPlace } from './part-memory.ts';
import { PartRun } from './part-run.ts';

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
  /** Seals a part where it lies, elsewhere (the worker pool), so that the next part is read meanwhile; else here. */
  seal?: SealInPlace;
  /** The space each sealed part is written into (PartRunOptions.room). */
  room?: (bytes: number) => Promise<Reservation>;
};

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
  const run = new PartRun({ store: o.store, partSize: o.partSize, maxParts: o.maxParts, recipients: o.recipients.length, seal: o.seal ?? sealHere(o.recipients), room: o.room });
  let manifest: string | null = null;
  try {
    const sealer = new SubmissionSealer<never>({
      submission: id, name: o.name, type: o.type, recipients: o.recipients, partSize: o.partSize, hasher: nativeHasher,
      encrypt: (plaintext) => run.seal(plaintext), digest: (plaintext) => run.digest(plaintext), ...(o.wholeFileDigest ? {} : { wholeFileDigest: null }),
    });
    await run.end(sealer, await run.read(stream, sealer));
    manifest = await o.store.blobs.put(await sealer.sealManifest(await own));
    return { id, parts: run.parts.sort((a, b) => a.n - b.n), manifest };
  } catch (error) {
    await run.abandon(); // a cut or refused upload: the part being filled holds up to a part of plaintext
    await discardWritten(o.store, { id, parts: run.parts, manifest });
    throw error;
  }
}

/** Drops a pending no-JS upload: its row, and the objects written for it (no row names them). */
export async function discardWritten(store: Store, upload: { id: string; parts: readonly WrittenPart[]; manifest: string | null }): Promise<void> {
  await store.submissions.discard(upload.id).catch(() => undefined);
  const names = [...upload.parts.map((p) => p.blob), ...(upload.manifest ? [upload.manifest] : [])];
  await Promise.all(names.map((name) => store.blobs.delete(name).catch(() => undefined)));
}
