import { escapeHtml } from './layout.ts';
import { sourceLayout, type PageBranding } from './source-frame.ts';
import type { Translator } from '../i18n/index.ts';

/** A refusal or a notice on the source listener: `message` is already in the reader's language. */
export function renderMessagePage({ t, title, message, branding, leave }: { t: Translator; title: string; message: string; branding?: PageBranding; leave?: string }): string {
  return sourceLayout({
    t,
    branding,
    leave,
    title,
    body: `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p><a href="/">${t.html('message.back')}</a></p>`,
  });
}
