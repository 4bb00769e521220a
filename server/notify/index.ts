import { encryptTextArmored } from '../../common/envelope/armored-text.ts';
import type { Config } from '../config.ts';
import { log } from '../log/index.ts';
import type { Journalist, Store } from '../store/index.ts';
import { deliverAll, type Channel } from './deliver.ts';
import { smtpSender, type MailSender } from './mail.ts';
import { noticeText, type NoticeText } from './notice.ts';
import { postWebhook } from './webhook.ts';
import { NoticeWindow } from './window.ts';

export { isMailAddress } from './settings.ts';

/** What the source side calls when a submission completes, and what serve() stops at shutdown. */
export type Notices = { arrived(): void; stop(): void };

/** Tests shorten the window (the setting counts minutes), may fix the random moment, and read the clock the windows are counted on. */
export type NoticeOptions = { windowMs?: number; random?: () => number; now?: () => number };

export const NO_NOTICES: Notices = { arrived: () => undefined, stop: () => undefined };

async function mailChannel(mail: MailSender, j: Journalist, notice: NoticeText): Promise<Channel | null> {
  let text = notice.text;
  if (j.notifyEncrypt) {
    try {
      text = await encryptTextArmored(notice.text, j.publicKey);
    } catch (error) {
      // Never sent in the clear to someone who asked for it encrypted.
      log('error', 'notice_failed', { channel: 'mail', step: 'encrypt', error: (error as Error).name });
      return null;
    }
  }
  return { kind: 'mail', send: () => mail.send({ to: j.notifyEmail!, subject: notice.subject, text }) };
}

/**
 * Starts the notice window when mail or a webhook is configured (else nothing runs). `loginUrl`
 * is where a notice says to log in: SEALDROP_JOURNALIST_URL, else the onion, else the listener
 * (asked at each notice: the listeners start after the window does).
 */
export function startNotices(config: Config, store: Store, loginUrl: () => string, options: NoticeOptions = {}): Notices {
  const { smtp, from, webhook, windowMinutes } = config.notify;
  if (!smtp && !webhook) return NO_NOTICES;
  const mail = smtp && from ? smtpSender(smtp, from) : null;
  const windowMs = options.windowMs ?? windowMinutes * 60_000;
  const channels = async (): Promise<Channel[]> => {
    const notice = noticeText(loginUrl());
    // Read at each notice: whoever opted in (and is active) by then is told.
    const mails = mail ? await Promise.all(store.journalists.notifyRecipients().map((j) => mailChannel(mail, j, notice))) : [];
    const hook: Channel[] = webhook ? [{ kind: 'webhook', send: () => postWebhook(webhook, notice.text) }] : [];
    return [...mails.filter((c): c is Channel => c !== null), ...hook];
  };
  const window = new NoticeWindow({
    windowMs,
    ...(options.random ? { random: options.random } : {}),
    ...(options.now ? { now: options.now } : {}),
    pending: { read: () => store.settings.newsPending(), write: (p) => store.settings.setNewsPending(p) },
    deliver: async (deadline) => deliverAll(await channels(), deadline, { firstRetryMs: Math.max(10, Math.floor(windowMs / 60)) }),
  });
  window.start();
  return {
    arrived: () => window.arrived(),
    stop: () => {
      window.stop();
      mail?.close();
    },
  };
}
