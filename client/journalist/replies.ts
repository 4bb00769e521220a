import { openText, readJournalistKey } from '../../common/envelope/index.ts';
import { sealText, TextTooLongError } from '../../common/envelope/pad-text.ts';
import { fetchReply, fetchReplyKeys, postReply } from '../api/journalist.ts';
import { currentKey } from './key.ts';
import { t } from '../i18n.ts';

const csrf = () => (document.getElementById('csrf-token') as HTMLInputElement).value;

/**
 * Encrypts the reply here, to the source's key and every journalist's, padded to its size class
 * inside the encryption (its stored size must not give its length away); the server sees ciphertext.
 */
async function sendReply(sourceId: string, text: string): Promise<void> {
  const keys = await fetchReplyKeys(sourceId);
  const recipients = await Promise.all(keys.map(async (k) => (await readJournalistKey(k)).key));
  await postReply(sourceId, await sealText({ kind: 'reply', text, recipients }), csrf());
}

/** Why a reply was not sent, in the page's language where the page knows the reason. */
const notSent = (error: Error): string =>
  error instanceof TextTooLongError ? t('staff.script.replyTooLong', { max: error.limit }) : t('staff.script.notSent', { reason: error.message });

const span = (className: string, text: string): HTMLSpanElement => Object.assign(document.createElement('span'), { className, textContent: text });

/**
 * Shows a reply just sent at the end of the thread (today is its last day), with this journalist
 * as its author, from the text still in this tab: no reload, so the key and what is decrypted stay.
 * Its text only while the key is unlocked: a locked page shows no reply's words, like any other.
 */
function showSent(thread: HTMLOListElement, text: string): void {
  thread.parentElement?.querySelector('.thread-empty')?.remove();
  const head = document.createElement('p');
  head.className = 'entry-head';
  head.append(span('reply-by', t('staff.script.convReplyByYou', { author: thread.dataset.author ?? '' })), ' · ', span('reply-state', t('staff.script.replyUnread')));
  const opened = document.createElement('div');
  opened.className = 'opened';
  const pre = document.createElement('pre');
  pre.className = 'message';
  pre.dir = 'auto';
  pre.textContent = text;
  if (currentKey()) opened.append(pre);
  const row = document.createElement('li');
  row.className = 'reply-row sent-here';
  row.append(head, opened);
  thread.append(row);
}

function wireSend(button: HTMLButtonElement): void {
  const sourceId = button.dataset.source!;
  const status = button.parentElement!.querySelector<HTMLElement>('.reply-status')!;
  button.addEventListener('click', () => {
    const box = document.getElementById(`reply-${sourceId}`) as HTMLTextAreaElement;
    if (box.value.trim() === '') return void (status.textContent = t('staff.script.writeFirst'));
    button.disabled = true;
    status.textContent = t('staff.script.encrypting');
    const text = box.value;
    sendReply(sourceId, text)
      .then(() => {
        const thread = button.closest('.conversation')?.querySelector<HTMLOListElement>('ol.thread');
        if (thread) showSent(thread, text);
        box.value = '';
        status.textContent = t('staff.script.replySent');
      })
      .catch((error: Error) => void (status.textContent = notSent(error)))
      .finally(() => (button.disabled = false));
  });
}

function wireOpen(button: HTMLButtonElement): void {
  const id = button.dataset.reply!;
  button.addEventListener('click', async () => {
    const out = document.getElementById(`opened-reply-${id}`)!;
    const key = currentKey();
    if (!key) return;
    try {
      const pre = document.createElement('pre');
      pre.className = 'message';
      pre.dir = 'auto';
      pre.textContent = await openText({ data: await fetchReply(id), keys: [key] });
      // Locked while it decrypted: show nothing.
      if (currentKey() === key) out.replaceChildren(pre);
    } catch (error) {
      out.textContent = t('staff.script.notDecrypted', { reason: (error as Error).message });
    }
  });
}

/** Locked: a reply being written goes too (its words are as private as a decrypted one's). */
export function forgetReplies(root: ParentNode): void {
  for (const box of root.querySelectorAll<HTMLTextAreaElement>('textarea[id^="reply-"]')) box.value = '';
}

/** The reply box and each reply's "Show decrypted" under root (each element once). */
export function wireReplies(root: ParentNode, once: (el: Element) => boolean): void {
  for (const button of root.querySelectorAll<HTMLButtonElement>('button.send-reply')) if (once(button)) wireSend(button);
  for (const button of root.querySelectorAll<HTMLButtonElement>('button.open-reply')) if (once(button)) wireOpen(button);
}
