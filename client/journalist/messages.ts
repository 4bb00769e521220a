import { openManifest, openSubmission, type Manifest, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { isMessage } from '../../common/messages.ts';
import { formatSize } from '../../common/sizes.ts';
import { fetchSubmissionObject } from '../api/journalist.ts';
import { t } from '../i18n.ts';

// Once the key is unlocked, each item says what it is: a source's message (shown as text in the
// thread, no file to save) or a file (an attachment named with its type and size, decrypted when
// asked). Only manifests are fetched to say so; a message's one part only when it is shown.

export type Described = { manifest: Manifest; message: boolean };

/** Reads an item's manifest and names it in its row ("Message", or the file's name, type and size). */
export async function describeItem(row: HTMLElement, key: PrivateKey): Promise<Described | null> {
  const id = row.dataset.submission!;
  const data = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!data) return null;
  const manifest = await openManifest({ data, keys: [key] });
  const message = isMessage(manifest) && manifest.partCount === 1;
  const label = row.querySelector<HTMLElement>('.item')!;
  label.dataset.plain ??= label.textContent ?? '';
  label.textContent = message ? t('staff.script.message') : t('staff.script.convFile', { name: manifest.name, type: manifest.type || '?', size: formatSize(manifest.size) });
  row.classList.toggle('is-message', message);
  return { manifest, message };
}

/** Decrypts a message's text into its row (verified against its manifest before it is shown). */
export async function showMessage(row: HTMLElement, manifest: Manifest, key: PrivateKey): Promise<void> {
  const id = row.dataset.submission!;
  const chunks: Uint8Array[] = [];
  await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write: async (b) => void chunks.push(b) });
  const text = document.createElement('pre');
  text.className = 'message';
  text.dir = 'auto';
  text.textContent = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  row.querySelector('.opened')!.replaceChildren(text);
  // Shown: its button has nothing more to give until the key is locked and the text taken away.
  const button = row.querySelector<HTMLButtonElement>('button.open');
  if (button) button.hidden = true;
}

/** Back to what the server said ("Item N"), with nothing decrypted left in the row: the key was locked. */
export function forgetItem(row: HTMLElement): void {
  const label = row.querySelector<HTMLElement>('.item');
  if (label?.dataset.plain !== undefined) label.textContent = label.dataset.plain;
  row.classList.remove('is-message');
  const button = row.querySelector<HTMLButtonElement>('button.open');
  if (button) button.hidden = false;
  forgetOpened(row);
}

/** Empties an element's decrypted content, and lets go of the plaintext its save links hold. */
export function forgetOpened(within: ParentNode): void {
  for (const out of within.querySelectorAll('.opened')) {
    for (const a of out.querySelectorAll<HTMLAnchorElement>('a[href^="blob:"]')) URL.revokeObjectURL(a.href);
    out.replaceChildren();
  }
}
