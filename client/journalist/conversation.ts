import type { PrivateKey } from '../../common/envelope/index.ts';
import { markSeen, markUnseen } from '../api/journalist.ts';
import { openFile } from './decrypt.ts';
import { currentKey, onKeyChange } from './key.ts';
import { hideLabels, showLabels, wireLabels } from './labels.ts';
import { describeItem, forgetItem, forgetOpened, showMessage } from './messages.ts';
import { revokeAllFiles } from './keygen.ts';
import { forgetReplies, wireReplies } from './replies.ts';
import { t } from '../i18n.ts';

// One conversation (server/views/journalist/conversation.ts), and labels wherever a source is
// named. Read state means "I opened it": unlocking the key only names each item (message or file);
// an item becomes read for this journalist when its text is shown because they opened the
// conversation with the key unlocked or pressed its button, or when a file they asked for has
// decrypted and verified. Locking the key takes every decrypted thing off the page again.

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;
const wired = new WeakSet<Element>();
const once = (el: Element): boolean => !wired.has(el) && Boolean(wired.add(el));

/** The row as read or unread for this journalist, in place ("Mark unread" only on a read one). */
function setRead(row: HTMLElement, read: boolean): void {
  row.classList.toggle('unread', !read);
  const state = row.querySelector('.state');
  if (state) state.textContent = t(read ? 'staff.script.convRead' : 'staff.script.convUnread');
  const form = row.querySelector<HTMLFormElement>('form.mark-unread');
  if (form) form.hidden = !read;
}

async function opened(row: HTMLElement): Promise<void> {
  setRead(row, true);
  // Marking it read is for this journalist's own list; a failure must not hide what decrypted fine.
  await markSeen(row.dataset.submission!, csrf()).catch(() => undefined);
}

/** The item's button: a message's text, or a file decrypted and offered for saving. */
async function openItem(row: HTMLElement, key: PrivateKey): Promise<void> {
  const out = row.querySelector<HTMLElement>('.opened')!;
  try {
    const described = await describeItem(row, key);
    if (!described && currentKey() !== key) return;
    if (!described) throw new Error(t('staff.script.noManifest'));
    const shown = described.message ? await showMessage(row, described.manifest, key) : await openFile(row.dataset.submission!, out, key, described.manifest);
    if (shown && currentKey() === key) await opened(row);
  } catch (error) {
    if (currentKey() === key) out.textContent = t('staff.script.notDecryptedFile', { reason: (error as Error).message });
  }
}

// A decryption pass in progress marks its thread aria-busy (screen readers wait; tests know when it is over).
const passes = new WeakMap<Element, number>();
function busy(root: ParentNode, by: 1 | -1): void {
  for (const thread of root.querySelectorAll('ol.thread')) {
    const n = (passes.get(thread) ?? 0) + by;
    passes.set(thread, n);
    if (n > 0) thread.setAttribute('aria-busy', 'true');
    else thread.removeAttribute('aria-busy');
  }
}

/** Names every item under root; `open`: also show each message's text (the conversation was opened with the key unlocked). */
async function describeAll(root: ParentNode, key: PrivateKey, open: boolean): Promise<void> {
  busy(root, 1);
  try {
    for (const row of root.querySelectorAll<HTMLElement>('ol.thread li.submission')) {
      if (currentKey() !== key) break;
      try {
        const described = await describeItem(row, key);
        if (!open || !described?.message) continue;
        if (await showMessage(row, described.manifest, key)) await opened(row);
      } catch {
        // Cannot be opened with this key: the row stays "Item N", and its button says why when pressed.
      }
    }
    // Locked meanwhile: whatever landed between the lock's own clearing and now goes too.
    if (currentKey() !== key) forget(root);
  } finally {
    busy(root, -1);
  }
}

function enable(root: ParentNode, on: boolean): void {
  for (const b of root.querySelectorAll<HTMLButtonElement>('button.open, button.open-reply')) b.disabled = !on;
}

function forget(root: ParentNode): void {
  enable(root, false);
  for (const row of root.querySelectorAll<HTMLElement>('li.submission')) forgetItem(row);
  forgetOpened(root);
  forgetReplies(root);
  hideLabels(root);
  revokeAllFiles();
}

function wireUnread(form: HTMLFormElement): void {
  const row = form.closest<HTMLElement>('li.submission')!;
  form.addEventListener('submit', (event) => {
    // In place, without leaving the page (the shell would swap it): the key and what is shown stay.
    event.preventDefault();
    event.stopPropagation();
    markUnseen(row.dataset.submission!, csrf())
      .then(() => setRead(row, false))
      .catch((error: Error) => void (row.querySelector('.opened')!.textContent = t('staff.script.convNotMarked', { reason: error.message })));
  });
}

function wireItem(button: HTMLButtonElement): void {
  button.addEventListener('click', () => {
    const key = currentKey();
    if (key) void openItem(button.closest<HTMLElement>('li.submission')!, key);
  });
}

/** Attaches this page's listeners under root (each element once) and shows what the unlocked key opens. */
export function wireConversation(root: ParentNode): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('ol.thread button.open')) if (once(button)) wireItem(button);
  for (const form of root.querySelectorAll<HTMLFormElement>('form.mark-unread')) if (once(form)) wireUnread(form);
  wireReplies(root, once);
  wireLabels(root, once);
  const key = currentKey();
  if (!key) return;
  enable(root, true);
  void describeAll(root, key, true).then(() => showLabels(root, key));
}

// Leaving a page (the shell swapped #workspace) lets go of the files decrypted on it.
document.addEventListener('workspace:swap', revokeAllFiles);

// Unlocking names the items and decrypts labels, and opens nothing; locking forgets it all.
onKeyChange((key) => {
  const root = document.getElementById('workspace') ?? document;
  if (!key) return forget(root);
  enable(root, true);
  void describeAll(root, key, false).then(() => showLabels(root, key));
});
