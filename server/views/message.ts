import { escapeHtml, layout } from './layout.ts';
import type { Translator } from '../i18n/index.ts';

/** A refusal or a notice: `message` is already in the reader's language. */
export function renderMessagePage({ t, title, message }: { t: Translator; title: string; message: string }): string {
  return layout({
    t,
    title,
    body: `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p><a href="/">${t.html('message.back')}</a></p>`,
  });
}
