import { openText, readJournalistKey, type PrivateKey } from '../../common/envelope/index.ts';
import { sealText, TextTooLongError } from '../../common/envelope/pad-text.ts';
import { fetchReply, fetchReplyKeys, postReply } from '../api/journalist.ts';
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

/**
 * Shows a reply just sent in its conversation, from the text still in this tab: no reload, so the
 * unlocked key and everything decrypted on the page stay as they are.
 */
function showSent(box: HTMLTextAreaElement, text: string): void {
  const list = box.closest('section')?.querySelector('ul.replies');
  if (!list) return;
  for (const empty of list.querySelectorAll('li:not(.reply-row)')) empty.remove();
  const row = document.createElement('li');
  row.className = 'reply-row';
  const state = document.createElement('span');
  state.className = 'reply-state';
  state.textContent = t('staff.script.replyUnread');
  const pre = document.createElement('pre');
  pre.className = 'message';
  pre.textContent = text;
  row.append(t('staff.script.replySentToday'), state, pre);
  list.append(row);
}

export function wireReplies(getKey: () => PrivateKey | null): void {
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.send-reply')) {
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
          showSent(box, text);
          box.value = '';
          status.textContent = t('staff.script.replySent');
        })
        .catch((error: Error) => void (status.textContent = notSent(error)))
        .finally(() => (button.disabled = false));
    });
  }
  for (const button of document.querySelectorAll<HTMLButtonElement>('button.open-reply')) {
    const id = button.dataset.reply!;
    button.addEventListener('click', async () => {
      const out = document.getElementById(`opened-reply-${id}`)!;
      try {
        const pre = document.createElement('pre');
        pre.className = 'message';
        pre.textContent = await openText({ data: await fetchReply(id), keys: [getKey()!] });
        out.replaceChildren(pre);
      } catch (error) {
        out.textContent = t('staff.script.notDecrypted', { reason: (error as Error).message });
      }
    });
  }
}
