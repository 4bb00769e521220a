import { openManifest, openSubmission, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { safeFileName } from '../../common/filenames.ts';
import { fetchSubmissionObject, markSeen } from '../api/journalist.ts';
import { saveFile } from './keygen.ts';
import { blobSink, fileSink, PIECE_BYTES, pieceSink, type Sink } from './save.ts';
import { wireReplies } from './replies.ts';
import { showMessages } from './messages.ts';
import { showLabels, wireLabels } from './labels.ts';
import { t } from '../i18n.ts';

// The unlocked key lives only in this module's memory: gone at logout, reload or tab close.
let key: PrivateKey | null = null;
// Up to this size a file is simply held and offered as a download; above it, it is streamed to a file where the browser allows.
const SMALL_BYTES = 64 * 1024 * 1024;

/** Where this file's plaintext goes: a picked file, one Blob, or pieces (see save.ts). */
async function sinkFor(name: string, size: number, out: HTMLElement): Promise<Sink> {
  if (size <= SMALL_BYTES) return blobSink();
  return (await fileSink(name)) ?? (size <= PIECE_BYTES ? blobSink() : pieceSink(name, size, out));
}

async function open(id: string, out: HTMLElement): Promise<void> {
  const status = document.createElement('span');
  status.textContent = t('staff.script.decrypting');
  out.replaceChildren(status);
  const manifestBytes = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!manifestBytes) throw new Error(t('staff.script.noManifest'));
  const manifest = await openManifest({ data: manifestBytes, keys: [key!] });
  const name = safeFileName(manifest.name);
  const sink = await sinkFor(name, manifest.size, out);
  try {
    await openSubmission({ manifest, keys: [key!], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write: (b) => sink.write(b) });
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
  const csrf = (document.getElementById('csrf-token') as HTMLInputElement).value;
  // Marking it read is a courtesy to colleagues; a failure must not hide a file that decrypted fine.
  await markSeen(id, csrf).catch(() => undefined);
}

export function wireInbox(): void {
  const load = document.getElementById('load-key') as HTMLButtonElement | null;
  if (!load) return;
  const status = document.getElementById('key-status')!;
  load.addEventListener('click', async () => {
    const file = (document.getElementById('key-file') as HTMLInputElement).files?.[0];
    const passphrase = document.getElementById('key-passphrase') as HTMLInputElement;
    if (!file) return void (status.textContent = t('staff.script.chooseKey'));
    try {
      key = await readPrivateKey(await file.text(), passphrase.value || undefined);
      passphrase.value = '';
      status.textContent = t('staff.script.unlocked');
      for (const b of document.querySelectorAll<HTMLButtonElement>('button.open, button.open-reply')) b.disabled = false;
      void showMessages(key).then(() => showLabels(key!));
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.open')) {
    button.addEventListener('click', () => {
      const id = button.dataset.submission!;
      const out = document.getElementById(`opened-${id}`)!;
      open(id, out).catch((error: Error) => void (out.textContent = t('staff.script.notDecryptedFile', { reason: error.message })));
    });
  }
  wireReplies(() => key);
  wireLabels();
  window.addEventListener('pagehide', () => void (key = null));
}
