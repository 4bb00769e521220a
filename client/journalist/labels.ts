import { openText, readJournalistKey, type PrivateKey } from '../../common/envelope/index.ts';
import { MAX_LABEL_CHARS, sealText } from '../../common/envelope/pad-text.ts';
import { fetchReplyKeys, postLabel } from '../api/journalist.ts';
import { t } from '../i18n.ts';

// Journalists' own names for sources ("the ministry driver"): encrypted here to every journalist's
// key, never the source's, so the server and a seized disk hold only ciphertext, and padded inside
// the encryption to one size, so that ciphertext does not give the name's length away.

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;
const fromBase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

function show(section: HTMLElement, label: string): void {
  section.querySelector('.source-label')!.textContent = label ? `${label} · ` : '';
}

/** Saves the label typed for a source; an empty one clears it. */
async function save(sourceId: string, label: string): Promise<void> {
  if (label === '') return postLabel(sourceId, new Uint8Array(0), csrf());
  // The reply keys are the source's then every journalist's: a label goes to the journalists only.
  const journalists = (await fetchReplyKeys(sourceId)).slice(1);
  const recipients = await Promise.all(journalists.map(async (k) => (await readJournalistKey(k)).key));
  await postLabel(sourceId, await sealText({ kind: 'label', text: label, recipients }), csrf());
}

export function wireLabels(): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.save-label')) {
    const sourceId = button.dataset.source!;
    const section = button.closest<HTMLElement>('section.source')!;
    const status = button.parentElement!.querySelector<HTMLElement>('.label-status')!;
    button.addEventListener('click', () => {
      const label = (document.getElementById(`label-${sourceId}`) as HTMLInputElement).value.trim();
      // Every label is padded to the size of the longest: a longer one is refused here, before anything is encrypted.
      if ([...label].length > MAX_LABEL_CHARS) return void (status.textContent = t('staff.script.labelTooLong', { max: MAX_LABEL_CHARS }));
      button.disabled = true;
      status.textContent = t('staff.script.encrypting');
      save(sourceId, label)
        .then(() => {
          show(section, label);
          status.textContent = t(label ? 'staff.script.labelSaved' : 'staff.script.labelCleared');
        })
        .catch((error: Error) => void (status.textContent = t('staff.script.notSaved', { reason: error.message })))
        .finally(() => (button.disabled = false));
    });
  }
}

/** Once the key is unlocked: each source's label, decrypted, beside its designation. */
export async function showLabels(key: PrivateKey): Promise<void> {
  for (const section of document.querySelectorAll<HTMLElement>('section.source[data-label]:not([data-label=""])')) {
    try {
      const label = await openText({ data: fromBase64(section.dataset.label!), keys: [key] });
      show(section, label);
      (document.getElementById(`label-${section.dataset.source}`) as HTMLInputElement).value = label;
    } catch {
      // A label made before this journalist's key was added cannot be opened with it: the designation stays.
    }
  }
}
