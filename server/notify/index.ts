import { encryptTextArmored } from '../../common/envelope/armored-text.ts';
import type { Config } from '../config.ts';
import { log } from '../log/index.ts';
import type { Journalist, Store } from '../store/index.ts';
import { deliverAll, type Channel } from './deliver.ts';
import { smtpSender, type MailSender } from './mail.ts';
import { movedText, noticeText, type NoticeText } from './notice.ts';
import type { NotifySettings } from './settings.ts';
import { postWebhook } from './webhook.ts';
import { NoticeWindow, type Audience } from './window.ts';


/** What the source side calls when a submission completes (with its conversation's desk), and what serve() stops at shutdown. */
export type Notices = { arrived(desk: number | null): void; stop(): void };

/** Tests shorten the window (the setting counts minutes), may fix the random moment, and read the clock the windows are counted on. */
export type NoticeOptions = { windowMs?: number; pick?: (n: number) => number; now?: () => number };

const NO_NOTICES: Notices = { arrived: () => undefined, stop: () => undefined };

/** A mail to one journalist, encrypted to their own key if they asked; null (logged) if that fails. */
async function mailChannel(mail: MailSender, j: Pick<Journalist, 'notifyEncrypt' | 'publicKey'>, to: string, notice: NoticeText): Promise<Channel | null> {
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
  return { kind: 'mail', send: () => mail.send({ to, subject: notice.subject, text }) };
}

/**
 * Starts the notice window when mail or a webhook is configured (else nothing runs). `loginUrl`
 * is where a notice says to log in: SEALDROP_JOURNALIST_URL, else the onion, else the listener
 * (asked at each notice: the listeners start after the window does).
 */
export function startNotices(config: Config, store: Store, loginUrl: () => string, options: NoticeOptions = {}): Notices {
  const { smtp, from, webhook, windowMinutes, subject } = config.notify;
  if (!smtp && !webhook) return NO_NOTICES;
  const mail = smtp && from ? smtpSender(smtp, from) : null;
  const windowMs = options.windowMs ?? windowMinutes * 60_000;
  // Read at each notice: whoever opted in (and is active) by then, and can see what arrived, is told.
  const recipients = (audience: Audience) => (mail ? store.journalists.notifyRecipients().filter((j) => sees(store, j.id, audience)) : []);
  const channels = async (audience: Audience): Promise<Channel[]> => {
    const notice = noticeText(loginUrl(), subject);
    const mails = mail ? await Promise.all(recipients(audience).map((j) => mailChannel(mail, j, j.notifyEmail!, notice))) : [];
    const hook: Channel[] = webhook ? [{ kind: 'webhook', send: () => postWebhook(webhook, notice.text) }] : [];
    return [...mails.filter((c): c is Channel => c !== null), ...hook];
  };
  const window = new NoticeWindow({
    windowMs,
    ...(options.pick ? { pick: options.pick } : {}),
    ...(options.now ? { now: options.now } : {}),
    wanted: (desk) => webhook !== null || recipients(new Set([desk])).length > 0,
    pending: { read: () => store.settings.newsPending(), write: (p) => store.settings.setNewsPending(p) },
    deliver: async (deadline, audience) => deliverAll(await channels(audience), deadline, { firstRetryMs: Math.max(10, Math.floor(windowMs / 60)) }),
  });
  window.start();
  return {
    arrived: (desk) => window.arrived(desk),
    stop: () => {
      window.stop();
      mail?.close();
    },
  };
}

/**
 * Whether a journalist can see something that arrived for `audience`: a conversation in no desk is
 * everyone's; a desk's, its members' (server/store/access.ts). The webhook is the newsroom's own and
 * hears of every arrival; a mail goes only to whoever can see one.
 */
function sees(store: Store, journalistId: number, audience: Audience): boolean {
  if (audience === 'everyone' || audience.has(null)) return true;
  return [...audience].some((desk) => desk !== null && store.desks.isMember(desk, journalistId));
}

/**
 * Tells a journalist's old notice address, once, that notices no longer go there (moved or
 * turned off), so a stolen session cannot redirect them unseen. Encrypted as the old setting was.
 * Runs beside the request (never awaited by it), tried once; a failure is logged by code only.
 */
export async function tellOldAddress(n: NotifySettings, j: Pick<Journalist, 'notifyEncrypt' | 'publicKey'>, oldAddress: string): Promise<void> {
  if (!n.smtp || !n.from) return;
  const mail = smtpSender(n.smtp, n.from);
  try {
    const channel = await mailChannel(mail, j, oldAddress, movedText(n.subject));
    await deliverAll(channel ? [channel] : [], 0, { firstRetryMs: 0 });
  } finally {
    mail.close();
  }
}
