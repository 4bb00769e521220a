import { generateKeyPair } from '../../common/envelope/index.ts';
import { t } from '../i18n.ts';

/** Offers bytes as a file download; the data never leaves this device. */
export function saveFile(name: string, blob: Blob): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.textContent = t('staff.script.save', { name });
  return a;
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
