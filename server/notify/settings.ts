import { isLoopback } from '../http/loopback.ts';

/** How mail leaves the drop: the relay, and the TLS the scheme and host call for. */
export type SmtpSetting = Readonly<{
  host: string;
  port: number;
  /** smtps://: TLS from the first byte. */
  secure: boolean;
  /** smtp:// to any host but loopback: STARTTLS or nothing is sent. */
  requireTLS: boolean;
  /** smtp:// to a relay on loopback: plain, the bytes never leave the machine. */
  ignoreTLS: boolean;
  auth: { user: string; pass: string } | null;
}>;

export type NotifySettings = Readonly<{
  smtp: SmtpSetting | null;
  /** The From address of notices by mail (set exactly when smtp is). */
  from: string | null;
  /** A URL that receives `{"text": …}` once per window (https, or http to loopback). */
  webhook: string | null;
  /** The batching window: arrivals within one window give one notice, in the next. */
  windowMinutes: number;
  /** The mails' subject (SEALDROP_NOTIFY_SUBJECT), or null for the catalog's neutral default. */
  subject: string | null;
}>;

export class NotifySettingError extends Error {
  override name = 'NotifySettingError';
}

/**
 * A mail address as a notice may go to or come from: one plain address, nothing a header could be
 * split by. Printable ASCII only (RFC 5322's atext and dots before the @, a host name after it):
 * nodemailer silently drops NUL and other control characters, so such an address would be mailed
 * as another one than the one checked here.
 */
const ADDRESS = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+@[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/;
export const isMailAddress = (s: string): boolean => s.length <= 254 && ADDRESS.test(s) && s.split('@')[1]!.includes('.');

function parseUrl(name: string, raw: string): URL {
  try {
    return new URL(raw);
  } catch {
    throw new NotifySettingError(`${name} is not an address.`);
  }
}

// The URL itself is never quoted back: it may hold the relay's password or a webhook's token.
function smtpSetting(raw: string): SmtpSetting {
  const url = parseUrl('SEALDROP_SMTP_URL', raw);
  const name = 'SEALDROP_SMTP_URL';
  if (url.protocol !== 'smtp:' && url.protocol !== 'smtps:') throw new NotifySettingError(`${name} must start with smtps:// (TLS) or smtp:// (STARTTLS, or plain to a relay on loopback).`);
  if (url.search || url.hash || (url.pathname !== '' && url.pathname !== '/')) {
    throw new NotifySettingError(`${name} takes no path or options (TLS follows from the scheme and host): smtps://HOST:465, smtp://HOST:587 with STARTTLS, or smtp://127.0.0.1:25 to a relay on this machine.`);
  }
  if (!url.hostname) throw new NotifySettingError(`${name} names no host.`);
  const secure = url.protocol === 'smtps:';
  const local = isLoopback(url.hostname);
  const auth = url.username ? { user: decodeURIComponent(url.username), pass: decodeURIComponent(url.password) } : null;
  return { host: url.hostname.replace(/^\[|\]$/g, ''), port: url.port ? Number(url.port) : secure ? 465 : 587, secure, requireTLS: !secure && !local, ignoreTLS: !secure && local, auth };
}

function webhookSetting(raw: string): string {
  const url = parseUrl('SEALDROP_NOTIFY_WEBHOOK', raw);
  const ok = url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname));
  if (!ok) throw new NotifySettingError('SEALDROP_NOTIFY_WEBHOOK must be an https:// address (http:// only to a receiver on loopback).');
  if (url.username || url.password) throw new NotifySettingError('SEALDROP_NOTIFY_WEBHOOK may not carry a user name or password; put a token in its path or query.');
  return url.href;
}

function windowMinutes(raw: string | undefined): number {
  if (raw === undefined || raw === '') return 60;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n < 1 || n > 1440) throw new NotifySettingError(`SEALDROP_NOTIFY_MINUTES must be a whole number of minutes from 1 to 1440, got "${raw}".`);
  return n;
}

/** A subject of our own: one line of printable text (no control or line-separator characters), 100 characters at most. */
function subjectSetting(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null;
  const s = raw.trim();
  if (s === '' || [...s].length > 100 || /[\p{Cc}\p{Zl}\p{Zp}]/u.test(s)) throw new NotifySettingError('SEALDROP_NOTIFY_SUBJECT must be one line of at most 100 characters, with no control characters.');
  return s;
}

/** The notice settings from the environment; a bad one stops start-up with a sentence that says why. */
export function notifySettings(env: NodeJS.ProcessEnv): NotifySettings {
  const smtp = env.SEALDROP_SMTP_URL ? smtpSetting(env.SEALDROP_SMTP_URL) : null;
  const from = env.SEALDROP_NOTIFY_FROM || null;
  if (smtp && !from) throw new NotifySettingError('SEALDROP_SMTP_URL is set but SEALDROP_NOTIFY_FROM is not: notices need a From address, like drop@example.org.');
  if (from && !smtp) throw new NotifySettingError('SEALDROP_NOTIFY_FROM is set but SEALDROP_SMTP_URL is not: there is no relay to send notices through.');
  if (from && !isMailAddress(from)) throw new NotifySettingError(`SEALDROP_NOTIFY_FROM must be one plain mail address, like drop@example.org, got "${from}".`);
  const subject = subjectSetting(env.SEALDROP_NOTIFY_SUBJECT);
  if (subject && !smtp) throw new NotifySettingError('SEALDROP_NOTIFY_SUBJECT is set but SEALDROP_SMTP_URL is not: only mail has a subject.');
  const webhook = env.SEALDROP_NOTIFY_WEBHOOK ? webhookSetting(env.SEALDROP_NOTIFY_WEBHOOK) : null;
  return Object.freeze({ smtp: smtp && Object.freeze(smtp), from, webhook, windowMinutes: windowMinutes(env.SEALDROP_NOTIFY_MINUTES), subject });
}
