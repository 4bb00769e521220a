import { fetchConfig, type Reserved } from '../api/source.ts';
import { fileItem, messageItem, NotSentError, Sender, TooLargeError, type Item } from './send.ts';
import { byId, progressRow, show, type ProgressRow } from './ui.ts';
import { formatBytes } from './meter.ts';
import { t } from '../i18n.ts';
import type { PublicKey } from '../../common/envelope/index.ts';

type Chosen = { label: string; item: Item; file?: File; text?: string };

// Each file keeps the number it was first sent under (a later send numbers new files on from it), so
// a Send again after a partial failure names what is left as the first Send did.
const numbers = new WeakMap<File, number>();
let numbered = 0;
// Files that arrived: never sent again (they also leave the form, where the browser allows it).
const arrived = new WeakSet<File>();
// Items (a file, or a message's text) not sent but maybe held (the link lost, or a refusal such as 507 that ends
// nothing): sent again under the same secret, so that one that arrived with its answer lost is stored once.
const keptUnder = new Map<File | string, Reserved>();
const keyOf = (c: Chosen): File | string => c.file ?? c.text!;
// The progress line of each item that has not arrived: Send again redraws it in place (one line per item, current).
const lines = new Map<File | string, HTMLElement>();

/** This send's line for `c`, in place of its earlier one; the lines of items not sent again (taken off the form, or a message changed) go. */
function lineFor(c: Chosen, items: Chosen[]): ProgressRow {
  const now = new Set(items.map(keyOf));
  for (const [key, line] of lines) {
    if (now.has(key)) continue;
    line.remove();
    lines.delete(key);
  }
  const row = progressRow(byId('progress'), byId('progress-summary'), c.label, lines.get(keyOf(c)));
  lines.set(keyOf(c), row.element);
  return row;
}

function chosenItems(files: HTMLInputElement, message: HTMLTextAreaElement): Chosen[] {
  let next = numbered;
  const items: Chosen[] = Array.from(files.files ?? [])
    .filter((file) => !arrived.has(file))
    .map((file) => ({ label: t('client.file', { n: numbers.get(file) ?? ++next, name: file.name }), item: fileItem(file), file }));
  if (message.value.trim() !== '') items.push({ label: t('client.message'), item: messageItem(message.value), text: message.value });
  return items;
}

/** The numbers this send's files are shown with stay theirs. */
function keepNumbers(items: Chosen[]): void {
  for (const { file } of items) if (file && !numbers.has(file)) numbers.set(file, ++numbered);
}

/**
 * What arrived is taken off the form, so that Send again sends only the rest and the form shows what
 * that is; a message the source changed meanwhile is theirs and stays.
 */
function takeOff(went: Chosen[]): void {
  const files = byId<HTMLInputElement>('files');
  for (const { file } of went) if (file) arrived.add(file);
  try {
    const left = new DataTransfer();
    for (const file of Array.from(files.files ?? [])) if (!arrived.has(file)) left.items.add(file);
    files.files = left.files;
  } catch {
    // No DataTransfer here: the form keeps the files, but `arrived` keeps them from going again.
  }
  const message = byId<HTMLTextAreaElement>('message');
  if (went.some(({ text }) => text === message.value)) message.value = '';
}

/**
 * What the page says when some items went and some did not, each listed by its label. (Not Intl.ListFormat:
 * Firefox ESR joins a Uyghur list with the English "and".)
 */
function partly(items: Chosen[], ok: boolean[]): string {
  const list = (want: boolean) => items.filter((_, i) => ok[i] === want).map(({ label }) => label).join(t('client.listSeparator'));
  return t('client.partlySent', { sent: list(true), failed: list(false) });
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
  keepNumbers(items);
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
  const reserved = sender.reserveAll(items.map(({ item }) => item), items.map((c) => keptUnder.get(keyOf(c))));
  const ok = items.map(() => false);
  for (const [i, { item }] of items.entries()) {
    const row = lineFor(items[i]!, items);
    try {
      await sender.send(item, reserved[i]!, row);
      row.done();
      ok[i] = true;
      lines.delete(keyOf(items[i]!)); // arrived: its line stays as it is
      keptUnder.delete(keyOf(items[i]!));
    } catch (error) {
      if (error instanceof NotSentError) keptUnder.set(keyOf(items[i]!), error.to);
      else keptUnder.delete(keyOf(items[i]!));
      row.fail((error as Error).message);
    }
  }
  send.disabled = false;
  // The codename panel's button said "Sending…": its job is done either way (Send retries).
  const carryOn = document.getElementById('codename-continue');
  if (carryOn) carryOn.hidden = true;
  if (ok.every(Boolean)) {
    form.reset();
    show(byId('done'));
  } else if (ok.some(Boolean)) {
    takeOff(items.filter((_, i) => ok[i]));
    show(failed, partly(items, ok));
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
