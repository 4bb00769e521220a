import { openManifest, openSubmission, type Manifest, type PrivateKey } from '../../common/envelope/index.ts';
import { MANIFEST_FILE, partFileName } from '../../common/export-layout.ts';
import { isMessage } from '../../common/messages.ts';
import { formatSize } from '../../common/sizes.ts';
import { fetchSubmissionObject } from '../api/journalist.ts';
import { t } from '../i18n.ts';
import { writeWithName } from './file-name.ts';
import { currentKey } from './key.ts';
import { revokeFile } from './keygen.ts';

// Once the key is unlocked, each item says what it is: a source's message (shown as text in the
// thread, no file to save) or a file (an attachment named with its type and size, decrypted when
// asked). Only manifests are fetched to say so; a message's one part only when it is shown.
// Decryption takes time: every write of something decrypted first checks that the key it used is
// still the unlocked one, so a Lock pressed meanwhile (which has already emptied the page) wins.

export type Described = { manifest: Manifest; message: boolean };

/** Reads an item's manifest and names it in its row ("Message", or the file's name, type and size); null if locked meanwhile. */
export async function describeItem(row: HTMLElement, key: PrivateKey): Promise<Described | null> {
  const id = row.dataset.submission!;
  const data = await fetchSubmissionObject(id, MANIFEST_FILE);
  if (!data) return null;
  const manifest = await openManifest({ data, keys: [key] });
  if (currentKey() !== key) return null;
  const message = isMessage(manifest) && manifest.partCount === 1;
  const label = row.querySelector<HTMLElement>('.item')!;
  label.dataset.plain ??= label.textContent ?? '';
  if (message) label.textContent = t('staff.script.message');
  else writeWithName(label, 'staff.script.convFile', manifest.name, { type: manifest.type || '?', size: formatSize(manifest.size) });
  row.classList.toggle('is-message', message);
  return { manifest, message };
}

/** Decrypts a message's text into its row (verified against its manifest before it is shown); false if locked meanwhile. */
export async function showMessage(row: HTMLElement, manifest: Manifest, key: PrivateKey): Promise<boolean> {
  const id = row.dataset.submission!;
  const chunks: Uint8Array[] = [];
  await openSubmission({ manifest, keys: [key], readPart: (n) => fetchSubmissionObject(id, partFileName(n)), write: async (b) => void chunks.push(b) });
  const text = document.createElement('pre');
  text.className = 'message';
  text.dir = 'auto';
  text.textContent = new TextDecoder().decode(await new Blob(chunks as BlobPart[]).arrayBuffer());
  if (currentKey() !== key) return false;
  row.querySelector('.opened')!.replaceChildren(text);
  // Shown: its button has nothing more to give until the key is locked and the text taken away.
  const button = row.querySelector<HTMLButtonElement>('button.open');
  if (button) button.hidden = true;
  return true;
}

/** Back to what the server said ("Item N"), with nothing decrypted left in the row: the key was locked. */
export function forgetItem(row: HTMLElement): void {
  const label = row.querySelector<HTMLElement>('.item');
  if (label?.dataset.plain !== undefined) label.replaceChildren(label.dataset.plain);
  row.classList.remove('is-message');
  const button = row.querySelector<HTMLButtonElement>('button.open');
  if (button) button.hidden = false;
  forgetOpened(row);
}

/** Empties an element's decrypted content, and lets go of the plaintext its save links hold. */
export function forgetOpened(within: ParentNode): void {
  for (const out of within.querySelectorAll('.opened')) {
    for (const a of out.querySelectorAll<HTMLAnchorElement>('a[href^="blob:"]')) revokeFile(a.href);
    out.replaceChildren();
  }
}
