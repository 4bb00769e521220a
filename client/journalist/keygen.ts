import { generateKeyPair } from '../../common/envelope/index.ts';

/** Offers bytes as a file download; the data never leaves this device. */
export function saveFile(name: string, blob: Blob): HTMLAnchorElement {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.textContent = `Save ${name}`;
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
    if (p1.length < 10) return void (status.textContent = 'Choose a key passphrase of at least 10 characters.');
    if (p1 !== p2) return void (status.textContent = 'The two key passphrases differ.');
    button.disabled = true;
    status.textContent = 'Generating…';
    const username = (document.getElementById('username') as HTMLInputElement | null)?.value || 'journalist';
    const { publicKey, privateKey } = await generateKeyPair({ name: `${username} (Sealdrop)`, passphrase: p1 });
    (document.getElementById('public_key') as HTMLTextAreaElement).value = publicKey;
    const link = saveFile(`sealdrop-${username}-private-key.asc`, new Blob([privateKey], { type: 'application/pgp-keys' }));
    link.id = 'private-key-download';
    status.textContent = 'Done. Your private key is being saved; keep the file and its passphrase safe: without them nobody can read submissions. ';
    status.append(link);
    link.click();
  });
}
