import { fetchConfig } from './api.ts';
import { fileItem, messageItem, Sender, type Item } from './send.ts';
import { byId, progressRow, show } from './ui.ts';

/** Fails closed: without WebCrypto in a secure context, nothing is sent from this page. */
function canEncryptHere(): boolean {
  return typeof window.isSecureContext === 'boolean' && window.isSecureContext && !!globalThis.crypto?.subtle && !!globalThis.crypto.getRandomValues;
}

function chosenItems(files: HTMLInputElement, message: HTMLTextAreaElement): { label: string; item: Item }[] {
  const items = Array.from(files.files ?? []).map((f, i) => ({ label: `File ${i + 1} (${f.name})`, item: fileItem(f) }));
  if (message.value.trim() !== '') items.push({ label: 'Your message', item: messageItem(message.value) });
  return items;
}

async function submit(form: HTMLFormElement, sender: Sender): Promise<void> {
  const files = byId<HTMLInputElement>('files');
  const message = byId<HTMLTextAreaElement>('message');
  const items = chosenItems(files, message);
  const failed = byId('failed');
  if (items.length === 0) return show(failed, 'Choose a file or write a message first.');
  failed.hidden = true;
  const send = byId<HTMLButtonElement>('send');
  send.disabled = true;
  let ok = true;
  for (const { label, item } of items) {
    const row = progressRow(byId('progress'), label);
    try {
      await sender.send(item, (done, total) => row.update(done, total));
    } catch (error) {
      ok = false;
      row.fail((error as Error).message);
    }
  }
  send.disabled = false;
  if (ok) {
    form.reset();
    show(byId('done'));
  } else show(failed, 'Some items were not sent (see above). Nothing unencrypted left this device. You can try again.');
}

async function start(): Promise<void> {
  const form = document.getElementById('drop') as HTMLFormElement | null;
  if (!form) return; // the "not open yet" page has no form
  if (!canEncryptHere()) {
    // Refuse to submit rather than let the plain form send plaintext behind the source's back.
    form.addEventListener('submit', (e) => e.preventDefault());
    byId<HTMLButtonElement>('send').disabled = true;
    return show(byId('path-unsupported'));
  }
  byId('path-js').hidden = false;
  const ready = fetchConfig().then((config) => Sender.create(config));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    ready.then((sender) => submit(form, sender)).catch((error: Error) => show(byId('failed'), error.message));
  });
}

void start();
