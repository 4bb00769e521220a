// Pages are rendered on the server as plain strings: no inline script or style, everything escaped.
import { LANGUAGES } from '../../common/i18n/languages.ts';
import type { Translator } from '../i18n/index.ts';
import { languageCode } from '../i18n/cookie.ts';
import { escapeHtml } from './escape.ts';

export { escapeHtml };

/** `strings`: the key prefix of the page script's words (the source page's "client.", the journalist page's "staff.script."). */
/** `tabTitle`: the whole tab title, replacing "page · Sealdrop" (source pages name only the newsroom). */
export type LayoutOptions = { t: Translator; title: string; body: string; script?: string; strings?: string; head?: string; languageSwitch?: boolean; tabTitle?: string };

/**
 * Plain links, so the switch works without JavaScript; each name is written in its own language and
 * direction. Each asks for a code of one width ("?lang=3"), so the click is the same length whichever
 * language it chooses; the server answers with a redirect that leaves no language in the address.
 */
function languageSwitch(t: Translator): string {
  const links = LANGUAGES.map((l) =>
    l.tag === t.tag
      ? `<li><span aria-current="true" lang="${l.tag}" dir="${l.dir}">${escapeHtml(l.name)}</span></li>`
      : `<li><a href="${escapeHtml(t.here)}?lang=${languageCode(l.tag)}" hreflang="${l.tag}" lang="${l.tag}" dir="${l.dir}">${escapeHtml(l.name)}</a></li>`,
  );
  return `<nav class="languages" aria-label="${escapeHtml(t.text('layout.languages'))}"><ul>${links.join('')}</ul></nav>`;
}

// The page script's own words travel as data (never run: CSP does not apply to a JSON data block).
const clientStrings = (t: Translator, prefix: string, script?: string) => (script ? `\n<script type="application/json" id="i18n">${t.clientJson(prefix)}</script>` : '');

export function layout({ t, title, body, script, strings = 'client.', head, languageSwitch: withSwitch = true, tabTitle }: LayoutOptions): string {
  const scriptTag = script ? `\n<script type="module" src="${escapeHtml(script)}"></script>` : '';
  return `<!doctype html>
<html lang="${t.tag}" dir="${t.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="same-origin">
<title>${escapeHtml(tabTitle ?? t.text('layout.title', { page: title }))}</title>
<link rel="stylesheet" href="/static/style.css">${head ? `\n${head}` : ''}${clientStrings(t, strings, script)}${scriptTag}
</head>
<body>
${withSwitch ? `${languageSwitch(t)}\n` : ''}<main>
${body}
</main>
</body>
</html>
`;
}
