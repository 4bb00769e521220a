import { fetchConfig } from '../api/source.ts';
import { fileItem, messageItem, Sender, TooLargeError, type Item } from './send.ts';
import { byId, progressRow, show } from './ui.ts';
import { formatBytes } from './meter.ts';
import { t } from '../i18n.ts';
import type { PublicKey } from '../../common/envelope/index.ts';

// Files sent from this page so far: a second send numbers its files on from the first one's.
let numbered = 0;

function chosenItems(files: HTMLInputElement, message: HTMLTextAreaElement): { label: string; item: Item }[] {
  const items = Array.from(files.files ?? []).map((f, i) => ({ label: t('client.file', { n: numbered + i + 1, name: f.name }), item: fileItem(f) }));
  if (message.value.trim() !== '') items.push({ label: t('client.message'), item: messageItem(message.value) });
  return items;
}

/** The desk radio checked in the form, if any. */
const chosen = (form: HTMLFormElement): string | undefined => form.querySelector<HTMLInputElement>('input[name="desk"]:checked')?.value;

async function submit(form: HTMLFormElement, sender: Sender): Promise<void> {
  const items = chosenItems(byId<HTMLInputElement>('files'), byId<HTMLTextAreaElement>('message'));
  const failed = byId('failed');
  if (items.length === 0) return show(failed, t('client.chooseFirst'));
  // Too large is said at once, before a codename is made or a byte is encrypted.
  for (const { label, item } of items) {
    try {
      sender.check(item);
    } catch (error) {
      return show(failed, error instanceof TooLargeError ? t('client.tooLarge', { label, size: formatBytes(sender.config.maxFileBytes) }) : (error as Error).message);
    }
  }
  // With two desks or more a new source chooses one (the radios are required: the browser asks).
  if (!sender.sourceToken && !sender.registration && sender.config.desks && !(await sender.chooseDesk(Number(chosen(form))))) return void form.reportValidity();
  failed.hidden = true;
  byId('done').hidden = true; // the last send's "Sent" is not this one's
  numbered += byId<HTMLInputElement>('files').files?.length ?? 0;
  const send = byId<HTMLButtonElement>('send');
  send.disabled = true;
  // A first-time source gets a codename, made and kept on this device, before anything is sent.
  // (Loaded only now: the word list is a quarter of the page's JavaScript.) A codename whose
  // registration has not been answered yet (a refused or lost first send) is kept: the source
  // may already have written it down, and the next send registers it again.
  if (!sender.sourceToken && !sender.registration) {
    const made = await (await import('./identity.ts')).newIdentity(sender.config, sender.desk);
    sender.registration = made.registration; // goes with the first request (folded sends)
    await sender.keepOwnKey(made.publicKey);
    // The conversation belongs to that desk from now on: the choice is shown, no longer open.
    const desks = document.getElementById('desks') as HTMLFieldSetElement | null;
    if (desks) desks.disabled = true;
  }
  // Every item is opened by the send's first request: the session that allows it ends if the server restarts mid-upload.
  const reserved = sender.reserveAll(items.map(({ item }) => item));
  let ok = true;
  for (const [i, { label, item }] of items.entries()) {
    const row = progressRow(byId('progress'), byId('progress-summary'), label);
    try {
      await sender.send(item, reserved[i]!, row);
      row.done();
    } catch (error) {
      ok = false;
      row.fail((error as Error).message);
    }
  }
  send.disabled = false;
  // The codename panel's button said "Sending…": its job is done either way (Send retries).
  const carryOn = document.getElementById('codename-continue');
  if (carryOn) carryOn.hidden = true;
  if (ok) {
    form.reset();
    show(byId('done'));
  } else show(failed, t('client.someFailed'));
}

/** Takes over the form: from here on, files are encrypted on this device before upload. `ownKey`: a logged-in source's. */
export async function start(form: HTMLFormElement, sourceToken?: string, ownKey?: PublicKey): Promise<void> {
  const sender = await Sender.create(await fetchConfig(sourceToken));
  if (sourceToken) sender.sourceToken = sourceToken;
  if (ownKey) sender.ownKey = ownKey;
  // Leave ends the session on the server too: the form carries the token this page holds (routes/source/leave.ts).
  for (const leave of document.querySelectorAll<HTMLFormElement>('form.leave')) {
    leave.addEventListener('submit', () => {
      if (sender.sourceToken && !leave.querySelector('input[name="token"]')) leave.append(Object.assign(document.createElement('input'), { type: 'hidden', name: 'token', value: sender.sourceToken }));
    });
  }
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    submit(form, sender).catch((error: Error) => {
      byId<HTMLButtonElement>('send').disabled = false;
      show(byId('failed'), error.message);
    });
  });
  // A new source's codename code (a quarter of the page's JavaScript: the word list) is fetched now, in the background,
  // so that nothing but the send itself crosses the link after the click (each round trip is most of a second over Tor).
  if (!sourceToken) void import('./identity.ts').catch(() => undefined);
  const loading = document.getElementById('path-loading');
  if (loading) loading.hidden = true;
  document.getElementById('path-js')?.removeAttribute('hidden');
  byId<HTMLButtonElement>('send').disabled = false;
}
