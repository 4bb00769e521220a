import { openManifest, openSubmission, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { safeFileName } from '../../common/filenames.ts';
import { fetchSubmissionObject } from '../api/journalist.ts';
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
 * it for saving (or writes it where they chose). Resolves once the whole file verified: only then
 * has the journalist opened it.
 */
export async function openFile(id: string, out: HTMLElement, key: PrivateKey): Promise<void> {
  const status = document.createElement('span');
  status.textContent = t('staff.script.decrypting');
  out.replaceChildren(status);
  const manifestBytes = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!manifestBytes) throw new Error(t('staff.script.noManifest'));
  const manifest = await openManifest({ data: manifestBytes, keys: [key] });
  const name = safeFileName(manifest.name);
  const sink = await sinkFor(name, manifest.size, out);
  try {
    await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write: (b) => sink.write(b) });
  } catch (error) {
    await sink.fail();
    throw error;
  }
  const plain = await sink.done();
  status.textContent = t(plain ? 'staff.script.verified' : 'staff.script.verifiedSaved', { name: manifest.name, size: manifest.size });
  if (plain && manifest.type.startsWith('text/plain') && manifest.size <= 1_000_000) {
    const pre = document.createElement('pre');
    pre.className = 'message';
    pre.textContent = await plain.text();
    out.append(pre);
  }
  if (plain) out.append(saveFile(name, plain));
}
