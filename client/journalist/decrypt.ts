import { openManifest, openSubmission, type Manifest, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { safeFileName } from '../../common/filenames.ts';
import { formatSize } from '../../common/sizes.ts';
import { fetchSubmissionObject } from '../api/journalist.ts';
import { writeWithName } from './file-name.ts';
import { currentKey } from './key.ts';
import { saveFile } from './keygen.ts';
import { blobSink, fileSink, PIECE_BYTES, pieceSink, type Sink } from './save.ts';
import { t } from '../i18n.ts';

// Up to this size a file is simply held and offered as a download; above it, it is streamed to a file where the browser allows.
const SMALL_BYTES = 64 * 1024 * 1024;

/** Where this file's plaintext goes: a picked file, one Blob, or pieces (see save.ts). */
async function sinkFor(name: string, size: number, out: HTMLElement): Promise<Sink> {
  if (size <= SMALL_BYTES) return blobSink();
  return (await fileSink(name)) ?? (size <= PIECE_BYTES ? blobSink() : pieceSink(name, size, out));
}

/**
 * Decrypts a file the journalist asked for, verifying every part against its manifest, and offers
 * it for saving (or writes it where they chose). Resolves true once the whole file verified: only
 * then has the journalist opened it. False, with nothing shown or offered, if the key was locked
 * or the page left (`out` no longer in it) meanwhile.
 */
export async function openFile(id: string, out: HTMLElement, key: PrivateKey, manifest: Manifest): Promise<boolean> {
  const status = document.createElement('span');
  status.textContent = t('staff.script.decrypting');
  out.replaceChildren(status);
  const name = safeFileName(manifest.name);
  const sink = await sinkFor(name, manifest.size, out);
  // Locked or left meanwhile: stop decrypting, so no later piece is offered and nothing is held.
  const still = () => currentKey() === key && out.isConnected;
  const write = (b: Uint8Array) => (still() ? sink.write(b) : Promise.reject(new Error(t('staff.script.locked'))));
  try {
    await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write });
  } catch (error) {
    await sink.fail();
    throw error;
  }
  const plain = await sink.done();
  const text = plain && manifest.type.startsWith('text/plain') && manifest.size <= 1_000_000 ? await plain.text() : null;
  if (!still()) return false;
  writeWithName(status, plain ? 'staff.script.verified' : 'staff.script.verifiedSaved', manifest.name, { size: formatSize(manifest.size) });
  if (text !== null) {
    const pre = document.createElement('pre');
    pre.className = 'message';
    pre.textContent = text;
    out.append(pre);
  }
  if (plain) out.append(saveFile(name, plain));
  return true;
}

/**
 * The item's file as one Blob, verified against its manifest (for the Safe view, safe-view.ts),
 * with its manifest; 'too-large' above maxBytes (nothing fetched but the manifest), null if the
 * key was locked meanwhile. Offers nothing for saving and marks nothing read.
 */
export async function decryptedBlob(id: string, key: PrivateKey, maxBytes: number): Promise<{ name: string; blob: Blob } | 'too-large' | null> {
  const manifestBytes = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!manifestBytes) throw new Error(t('staff.script.noManifest'));
  const manifest = await openManifest({ data: manifestBytes, keys: [key] });
  if (manifest.size > maxBytes) return 'too-large';
  const sink = blobSink();
  const write = (b: Uint8Array) => (currentKey() === key ? sink.write(b) : Promise.reject(new Error(t('staff.script.locked'))));
  await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write });
  const blob = await sink.done();
  return currentKey() === key && blob ? { name: manifest.name, blob } : null;
}
