import { DEFAULT_LANGUAGE, LANGUAGES } from '../../common/i18n/languages.ts';
import { translator } from '../i18n/index.ts';

export type NoticeText = { subject: string; text: string };

/** Each of the four languages' words for `key`, one paragraph each: the server does not know which language a journalist reads. */
const everyLanguage = (key: string, values?: Record<string, string>): string => LANGUAGES.map((l) => translator(l.tag).text(key, values)).join('\n\n');

/**
 * The subject a carrier reads even when the body is encrypted: SEALDROP_NOTIFY_SUBJECT, else a
 * neutral word ("Notification") that names no drop, source or material.
 */
const subjectOf = (subject: string | null): string => subject ?? translator(DEFAULT_LANGUAGE).text('notify.subject');

/**
 * All a notice ever says: there is something new, and where to log in. No designation, count,
 * size, name or time, so the mail provider or the webhook's operator learns nothing from its words.
 */
export function noticeText(loginUrl: string, subject: string | null = null): NoticeText {
  return { subject: subjectOf(subject), text: everyLanguage('notify.body', { url: loginUrl }) };
}

/** What the old address is told when a journalist's notices are moved or turned off: that, and nothing else. */
export function movedText(subject: string | null = null): NoticeText {
  return { subject: subjectOf(subject), text: everyLanguage('notify.moved') };
}
