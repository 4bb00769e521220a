import { generateKeyPair } from '../../common/envelope/index.ts';
import { t } from '../i18n.ts';
import { writeWithName } from './file-name.ts';

// Every blob: address this page made for a download. A blob: URL keeps its bytes (a decrypted
// file) in the tab's memory until it is revoked, even once its link has left the page, so the
// conversation revokes them all when the key is locked and when the workspace is swapped.
const offered = new Set<string>();

/** Offers bytes as a file download; the data never leaves this device. */
export function saveFile(name: string, blob: Blob): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  offered.add(a.href);
  a.download = name;
  writeWithName(a, 'staff.script.save', name);
  return a;
}

/** Lets go of one download's bytes (a piece already saved). */
export function revokeFile(href: string): void {
  URL.revokeObjectURL(href);
  offered.delete(href);
}

/** Lets go of every download's bytes, and takes away the links that offered them. */
export function revokeAllFiles(): void {
  for (const a of document.querySelectorAll<HTMLAnchorElement>('a[href^="blob:"]')) if (offered.has(a.href)) a.remove();
  for (const href of offered) URL.revokeObjectURL(href);
  offered.clear();
}

/** Setup page: makes a key pair here; only the public key goes into the form. */
export function wireKeyGeneration(): void {
  const button = document.getElementById('generate-key') as HTMLButtonElement | null;
  if (!button) return;
  const status = document.getElementById('keygen-status')!;
  button.addEventListener('click', async () => {
    const p1 = (document.getElementById('key_passphrase') as HTMLInputElement).value;
    const p2 = (document.getElementById('key_passphrase2') as HTMLInputElement).value;
    if (p1.length < 10) return void (status.textContent = t('staff.script.keyPassphraseShort', { min: 10 }));
    if (p1 !== p2) return void (status.textContent = t('staff.script.keyPassphrasesDiffer'));
    button.disabled = true;
    status.textContent = t('staff.script.generating');
    const username = (document.getElementById('username') as HTMLInputElement | null)?.value || 'journalist';
    const { publicKey, privateKey } = await generateKeyPair({ name: `${username} (Sealdrop)`, passphrase: p1 });
    (document.getElementById('public_key') as HTMLTextAreaElement).value = publicKey;
    const link = saveFile(`sealdrop-${username}-private-key.asc`, new Blob([privateKey], { type: 'application/pgp-keys' }));
    link.id = 'private-key-download';
    status.textContent = `${t('staff.script.generated')} `;
    status.append(link);
    link.click();
  });
}
