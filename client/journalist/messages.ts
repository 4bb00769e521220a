import { openManifest, openSubmission, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { isMessage } from '../../common/messages.ts';
import { fetchSubmissionObject, markSeen } from '../api/journalist.ts';
import { t } from '../i18n.ts';

// Once the key is unlocked, each submission says what it is: a source's message is decrypted and
// shown as text in the conversation (no file to save); a file is named, as an attachment, and
// decrypted when asked. Only manifests and one-part messages are fetched: files wait for a click.

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;

async function showOne(row: HTMLElement, key: PrivateKey): Promise<void> {
  const id = row.dataset.submission!;
  const data = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!data) return;
  const manifest = await openManifest({ data, keys: [key] });
  const label = row.querySelector<HTMLElement>('.item')!;
  if (!isMessage(manifest) || manifest.partCount !== 1) {
    label.textContent = t('staff.script.attachment', { name: manifest.name, size: manifest.size });
    return;
  }
  const chunks: Uint8Array[] = [];
  await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write: async (b) => void chunks.push(b) });
  const text = document.createElement('pre');
  text.className = 'message';
  text.textContent = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  label.textContent = t('staff.script.message');
  row.classList.add('is-message');
  row.querySelector('button.open')?.remove();
  row.querySelector('.opened')!.replaceChildren(text);
  await markSeen(id, csrf()).catch(() => undefined);
}

/** Labels every submission and shows the messages; a row that cannot be opened stays as it was (Decrypt says why). */
export async function showMessages(key: PrivateKey): Promise<void> {
  for (const row of document.querySelectorAll<HTMLElement>('li.submission:not(.is-message)')) {
    await showOne(row, key).catch(() => undefined);
  }
}
