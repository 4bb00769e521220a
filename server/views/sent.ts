import { layout } from './layout.ts';
import { LINKS } from './source.ts';
import type { Translator } from '../i18n/index.ts';

export function renderSentPage(t: Translator): string {
  return layout({
    t,
    title: t.text('sent.heading'),
    body: `<h1>${t.html('sent.heading')}</h1>
<section class="done"><p>${t.html('sent.nojs')}</p></section>
<p>${t.html('sent.next', {}, LINKS)}</p>`,
  });
}
