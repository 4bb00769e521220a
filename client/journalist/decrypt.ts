import { openManifest, openSubmission, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { safeFileName } from '../../common/filenames.ts';
import { fetchSubmissionObject, markSeen } from '../api/journalist.ts';
import { saveFile } from './keygen.ts';
import { wireReplies } from './replies.ts';

// The unlocked key lives only in this module's memory: gone at logout, reload or tab close.
let key: PrivateKey | null = null;

async function open(id: string, out: HTMLElement): Promise<void> {
  out.textContent = 'Decrypting…';
  const manifestBytes = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!manifestBytes) throw new Error('The manifest is missing.');
  const manifest = await openManifest({ data: manifestBytes, keys: [key!] });
  // Each verified part is folded into a Blob at once, which the browser may keep on disk, so the
  // page holds about one part in memory whatever the file size.
  let plain = new Blob([]);
  await openSubmission({
    manifest,
    keys: [key!],
    readPart: (n) => fetchSubmissionObject(id, partFileName(n)),
    write: async (plaintext) => void (plain = new Blob([plain, plaintext as BlobPart])),
  });
  out.textContent = `Verified: ${manifest.name} (${manifest.size} bytes). `;
  if (manifest.type.startsWith('text/plain') && manifest.size <= 1_000_000) {
    const pre = document.createElement('pre');
    pre.className = 'message';
    pre.textContent = await plain.text();
    out.append(pre);
  }
  out.append(saveFile(safeFileName(manifest.name), plain));
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
    if (!file) return void (status.textContent = 'Choose your private key file first.');
    try {
      key = await readPrivateKey(await file.text(), passphrase.value || undefined);
      passphrase.value = '';
      status.textContent = 'Key unlocked, in this tab only.';
      for (const b of document.querySelectorAll<HTMLButtonElement>('button.open, button.open-reply')) b.disabled = false;
    } catch (error) {
      status.textContent = (error as Error).message;
    }
  });
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.open')) {
    button.addEventListener('click', () => {
      const id = button.dataset.submission!;
      const out = document.getElementById(`opened-${id}`)!;
      open(id, out).catch((error: Error) => void (out.textContent = `Not decrypted: ${error.message} Nothing was saved.`));
    });
  }
  wireReplies(() => key);
  window.addEventListener('pagehide', () => void (key = null));
}
