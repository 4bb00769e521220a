import { LINKS } from './source.ts';
import { sourceLayout, type PageBranding } from './source-frame.ts';
import type { Translator } from '../i18n/index.ts';

/** After a returning source's no-JavaScript send: their session lives on, so the page offers Leave, never "close this page". */
export function renderSentPage(t: Translator, branding?: PageBranding, leave?: string): string {
  return sourceLayout({
    t,
    branding,
    leave,
    title: t.text('sent.heading'),
    body: `<h1>${t.html('sent.heading')}</h1>
<section class="done"><p>${t.html('sent.nojs')}</p></section>
<p>${t.html('sent.next', {}, LINKS)}</p>`,
  });
}

/** After Leave: logged out here, and what else to do (Tor Browser's New identity, or closing it). */
export function renderLeftPage(t: Translator, branding?: PageBranding): string {
  return sourceLayout({
    t,
    branding,
    title: t.text('source.left.title'),
    body: `<h1>${t.html('source.left.title')}</h1>
<p>${t.html('source.left.body')}</p>
<p>${t.html('guide.tor.after')}</p>
<p>${t.html('sent.next', {}, LINKS)}</p>`,
  });
}
