import { openManifest, openText, readPrivateKey, type PrivateKey } from '../../common/envelope/index.ts';
import { deriveSourceSecrets, normaliseCodename, NotACodenameError, olderReading } from '../../common/codename.ts';
import { fetchConfig, fetchReply, fetchSentManifest, login, replyAction, type LoggedIn } from '../api/source.ts';
import { start } from './app.ts';
import { byId, show } from './ui.ts';
import { t } from '../i18n.ts';
import { formatSize } from '../../common/sizes.ts';
import { safeFileName } from '../../common/filenames.ts';
import { isMessage } from '../../common/messages.ts';

type Sent = LoggedIn['sent'][number];

/** One line of "What you sent"; with its name once the page has opened it. */
function sentText(i: Sent, name?: string): string {
  const values = { n: i.n, day: i.day, size: formatSize(i.size), status: t(`client.mine.${i.status}`) };
  return name === undefined ? t('client.mine.item', values) : t('client.mine.itemNamed', { ...values, name });
}

/**
 * Each item's name, opened here with the source's own key (the manifest is sealed to it too). An
 * item sent before that (sealed to the newsroom's keys only) keeps its line without a name.
 */
async function showNames(lines: HTMLElement[], sent: Sent[], key: PrivateKey, token: string): Promise<void> {
  for (const [k, item] of sent.entries()) {
    try {
      const manifest = await openManifest({ data: await fetchSentManifest(item.n, token), keys: [key] });
      lines[k]!.textContent = sentText(item, isMessage(manifest) ? t('client.message') : safeFileName(manifest.name));
    } catch {
      // Not sealed to this source's key, or not reachable now: the line stays as it is.
    }
  }
}

async function showReply(list: HTMLElement, reply: { id: string; createdDay: string }, key: PrivateKey, token: string): Promise<void> {
  // The reply's padding (zeros up to its size class) is dropped here; one stored before padding has none.
  const text = await openText({ data: await fetchReply(reply.id, token), keys: [key] });
  await replyAction(reply.id, 'read', token);
  const item = document.createElement('li');
  item.className = 'reply';
  const day = document.createElement('p');
  day.className = 'hint';
  day.textContent = t('client.replyReceived', { day: reply.createdDay });
  const body = document.createElement('pre');
  body.className = 'message';
  body.textContent = text;
  const remove = document.createElement('button');
  remove.type = 'button';
  remove.textContent = t('client.replyDelete');
  remove.onclick = () => void replyAction(reply.id, 'delete', token).then(() => item.remove(), (e: Error) => (remove.textContent = e.message));
  item.append(day, body, remove);
  list.append(item);
}

async function unlock(codename: string, kdfSalt: string): Promise<{ session: LoggedIn; key: PrivateKey }> {
  const { loginSecret, keyPassphrase } = await deriveSourceSecrets(codename, kdfSalt);
  const session = await login(loginSecret);
  return { session, key: await readPrivateKey(session.privateKey, keyPassphrase) };
}

async function logIn(typed: string): Promise<void> {
  const config = await fetchConfig();
  // Digits from a codename made before the added words may read two ways (common/codename.ts).
  const older = olderReading(typed);
  const { session, key } = await unlock(normaliseCodename(typed), config.kdfSalt).catch((error: unknown) => {
    if (!older) throw error;
    return unlock(older, config.kdfSalt).catch(() => Promise.reject(error));
  });
  const list = byId('replies');
  list.replaceChildren();
  for (const reply of session.replies) await showReply(list, reply, key, session.sourceToken);
  if (session.replies.length === 0) list.append(Object.assign(document.createElement('li'), { textContent: t('client.noReplies') }));
  // What this source sent: number, day, size class and what became of it (server/sources/sent-items.ts).
  const line = (text: string) => Object.assign(document.createElement('li'), { textContent: text });
  const lines = session.sent.map((i) => line(sentText(i)));
  byId('sent-items').replaceChildren(...(lines.length ? lines : [line(t('client.mine.none'))]));
  byId('codename-form').hidden = true;
  show(byId('conversation'));
  await start(byId<HTMLFormElement>('drop'), session.sourceToken, key.toPublic());
  await showNames(lines, session.sent, key, session.sourceToken);
}

/** The login page: the codename never leaves this device; only the derived login secret does. */
export async function startConversation(form: HTMLFormElement): Promise<void> {
  const button = byId<HTMLButtonElement>('codename-submit');
  const note = byId('login-js');
  note.hidden = false;
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    button.disabled = true;
    const input = byId<HTMLInputElement>('codename-input');
    logIn(input.value)
      .then(() => (input.value = ''))
      .catch((error: Error) => {
        button.disabled = false;
        note.textContent = error instanceof NotACodenameError ? t(error.key, error.values) : error.message;
      });
  });
  button.disabled = false;
}
