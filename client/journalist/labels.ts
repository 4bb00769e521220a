import { openText, readJournalistKey, type PrivateKey } from '../../common/envelope/index.ts';
import { MAX_LABEL_CHARS, sealText } from '../../common/envelope/pad-text.ts';
import { fetchReplyKeys, postLabel } from '../api/journalist.ts';
import { currentKey } from './key.ts';
import { t } from '../i18n.ts';

// Journalists' own names for sources ("the ministry driver"): encrypted here to every journalist's
// key, never the source's, so the server and a seized disk hold only ciphertext, and padded inside
// the encryption to one size, so that ciphertext does not give the name's length away. Any element
// [data-source][data-label] (a list row, a conversation's header, a confirmation line) with a
// .source-label child shows it once the key is unlocked.

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;
export const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
const LABELLED = '[data-source][data-label]';

function show(holder: Element, label: string): void {
  const slot = holder.querySelector('.source-label');
  if (slot) slot.textContent = label ? `${label} · ` : '';
}

const toBase64 = (bytes: Uint8Array) => btoa(Array.from(bytes, (b) => String.fromCharCode(b)).join(''));

/** Saves the label typed for a source (an empty one clears it); the page keeps the new ciphertext for the next unlock. */
async function save(sourceId: string, label: string): Promise<void> {
  let sealed: Uint8Array = new Uint8Array(0);
  if (label !== '') {
    // The reply keys are the source's then every journalist's: a label goes to the journalists only.
    const journalists = (await fetchReplyKeys(sourceId)).slice(1);
    const recipients = await Promise.all(journalists.map(async (k) => (await readJournalistKey(k)).key));
    sealed = await sealText({ kind: 'label', text: label, recipients });
  }
  await postLabel(sourceId, sealed, csrf());
  for (const holder of document.querySelectorAll<HTMLElement>(LABELLED)) if (holder.dataset.source === sourceId) holder.dataset.label = toBase64(sealed);
}

function wireSave(button: HTMLButtonElement): void {
  const sourceId = button.dataset.source!;
  const holder = button.closest(LABELLED);
  const status = button.parentElement!.querySelector<HTMLElement>('.label-status')!;
  button.addEventListener('click', () => {
    const label = (document.getElementById(`label-${sourceId}`) as HTMLInputElement).value.trim();
    // Every label is padded to the size of the longest: a longer one is refused here, before anything is encrypted.
    if ([...label].length > MAX_LABEL_CHARS) return void (status.textContent = t('staff.script.labelTooLong', { max: MAX_LABEL_CHARS }));
    button.disabled = true;
    status.textContent = t('staff.script.encrypting');
    save(sourceId, label)
      .then(() => {
        // Shown only while a key is unlocked: a locked page shows no label.
        if (holder && currentKey()) show(holder, label);
        status.textContent = t(label ? 'staff.script.labelSaved' : 'staff.script.labelCleared');
      })
      .catch((error: Error) => void (status.textContent = t('staff.script.notSaved', { reason: error.message })))
      .finally(() => (button.disabled = false));
  });
}

/** The label editors under root (each once). */
export function wireLabels(root: ParentNode, once: (el: Element) => boolean): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button.save-label')) if (once(button)) wireSave(button);
}

/** Once the key is unlocked: each source's label, decrypted, beside its designation wherever it is named under root. */
export async function showLabels(root: ParentNode, key: PrivateKey): Promise<void> {
  for (const holder of root.querySelectorAll<HTMLElement>(`${LABELLED}:not([data-label=""])`)) {
    try {
      const label = await openText({ data: fromBase64(holder.dataset.label!), keys: [key] });
      if (currentKey() !== key) return; // locked meanwhile
      show(holder, label);
      const input = document.getElementById(`label-${holder.dataset.source}`) as HTMLInputElement | null;
      if (input && holder.contains(input)) input.value = label;
    } catch {
      // A label made before this journalist's key was added cannot be opened with it: the designation stays.
    }
  }
}

/** The key was locked: no decrypted label stays on the page. */
export function hideLabels(root: ParentNode): void {
  for (const holder of root.querySelectorAll(LABELLED)) {
    show(holder, '');
    const input = holder.querySelector<HTMLInputElement>(`#label-${CSS.escape((holder as HTMLElement).dataset.source ?? '')}`);
    if (input) input.value = '';
  }
}
