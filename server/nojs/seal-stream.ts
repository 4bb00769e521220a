import { SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { HttpError } from '../http/errors.ts';
import { nativeHasher } from '../native-hash.ts';
import type { Store } from '../store/index.ts';

export type StreamSealOptions = {
  store: Store;
  recipients: PublicKey[];
  sourceId: string;
  name: string;
  type: string;
  partSize: number;
  maxParts: number;
};

/**
 * Encrypts plaintext as it arrives into the standard envelope: at most one part of plaintext is
 * held, in memory only; each part is encrypted and stored before more is read. Returns the id of
 * a pending submission (parts and manifest stored) that the caller completes or discards.
 */
export async function sealStream(stream: AsyncIterable<Buffer>, o: StreamSealOptions): Promise<string> {
  const id = o.store.submissions.create(o.sourceId, o.maxParts);
  // One part is written (and fsynced) while the next arrives and is encrypted: at most one
  // ciphertext waits, so memory stays at about two parts.
  let writing: Promise<void> = Promise.resolve();
  try {
    const sealer = new SubmissionSealer({ submission: id, name: o.name, type: o.type, recipients: o.recipients, partSize: o.partSize, hasher: nativeHasher });
    const buffer = Buffer.alloc(o.partSize);
    let filled = 0;
    let n = 0;
    const store = async (ciphertext: Uint8Array) => {
      if (++n > o.maxParts) throw new HttpError(413, 'This file is larger than the server accepts. Nothing was stored.');
      await writing;
      const part = n;
      writing = o.store.submissions.putPart(id, part, ciphertext);
      writing.catch(() => undefined); // awaited below; a failure must not be unhandled meanwhile
    };
    for await (const chunk of stream) {
      for (let offset = 0; offset < chunk.length; ) {
        const take = Math.min(chunk.length - offset, o.partSize - filled);
        chunk.copy(buffer, filled, offset, offset + take);
        filled += take;
        offset += take;
        if (filled < o.partSize) continue;
        const ciphertext = await sealer.sealPart(buffer);
        buffer.fill(0); // best effort: do not leave this part's plaintext in the reused buffer
        filled = 0;
        await store(ciphertext);
      }
    }
    // The last bytes and the zero padding up to the file's size class, a part at a time.
    for await (const ciphertext of sealer.sealEnd(buffer.subarray(0, filled))) await store(ciphertext);
    buffer.fill(0, 0, filled);
    await writing;
    o.store.submissions.declareParts(id, n);
    await o.store.submissions.putManifest(id, await sealer.sealManifest());
    return id;
  } catch (error) {
    await writing.catch(() => undefined);
    await o.store.submissions.discard(id).catch(() => undefined);
    throw error;
  }
}
