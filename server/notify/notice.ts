import { DEFAULT_LANGUAGE, LANGUAGES } from '../../common/i18n/languages.ts';
import { translator } from '../i18n/index.ts';

export type NoticeText = { subject: string; text: string };

/**
 * All a notice ever says: there is something new, and where to log in. No designation, count,
 * size, name or time, so the mail provider or the webhook's operator learns nothing from its words.
 * The server does not know which language a journalist reads, so the body says it in each one.
 */
export function noticeText(loginUrl: string): NoticeText {
  return {
    subject: translator(DEFAULT_LANGUAGE).text('notify.subject'),
    text: LANGUAGES.map((l) => translator(l.tag).text('notify.body', { url: loginUrl })).join('\n\n'),
  };
}
