import { escapeHtml } from './layout.ts';
import { leaveForm, sourceLayout, type PageBranding } from './source-frame.ts';
import type { Translator } from '../i18n/index.ts';
import { deskChoice, type DeskChoice } from './source-desks.ts';

export type { PageBranding };

/** `maxFile`: the file limit as shown (common/sizes.ts formatLimit): each file with JavaScript, one send in all without. */
export type SourcePageOptions = { t: Translator; open: boolean; maxFile: string; onion?: string | null; branding?: PageBranding; refused?: Refused; leave?: string; once?: string; desks?: readonly DeskChoice[]; ownDesk?: number | null };

/** A no-JavaScript send refused: the reason, and the message the source typed, kept in the form. */
export type Refused = { reason: string; message: string; desk?: string };

const link = (href: string) => (inner: string) => `<a href="${href}">${inner}</a>`;
export const LINKS = { login: link('/login'), start: link('/'), guide: link('/guide') };

/** The codename explained in the reader's language: English words, and the same codename as digits. */
export const codenameNote = (t: Translator) => `<p class="hint">${t.html('codename.words')}</p>\n`;
export const digitsNote = (t: Translator) => `<p class="hint">${t.html('codename.digits')}</p>\n`;

/** Plain text typed by an administrator: escaped, blank lines make paragraphs, line breaks stay. */
const paragraphs = (text: string, className: string) =>
  text.split(/\n{2,}/).map((p) => `<p class="${className}" dir="auto">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('\n');

const guidelines = (t: Translator, b: PageBranding | undefined) => (b?.guidelines ? `<h2>${t.html('source.guidelines')}</h2>\n${paragraphs(b.guidelines, 'guidelines')}\n` : '');

/** For a source who came some other way: the onion address is the safer way in. */
const onionNote = (t: Translator, onion: string) =>
  `<p class="onion-note">${t.html('source.onion', { address: `http://${onion}/` }, { onion: (a) => `<bdi class="onion-address" dir="ltr">${a}</bdi>` })}</p>`;

const closed = (t: Translator) => `<h1>${t.html('source.closed.heading')}</h1>\n<p>${t.html('source.closed.body')}</p>`;

// Shown while the page script loads (hidden by nojs.css when JavaScript is off): until the script
// takes over, the form cannot be sent, so nothing leaves unencrypted by accident.
const pathNotes = (t: Translator) => `<p id="path-loading" class="path js-only" role="status">${t.html('source.path.loading')}</p>
<p id="path-js" class="path" hidden>${t.html('source.path.js')}</p>
<noscript><p class="path">${t.html('source.path.nojs')}</p></noscript>
<p id="path-unsupported" class="path warning" hidden>${t.html('source.path.unsupported')}</p>`;

export const NOSCRIPT_CSS = '<noscript><link rel="stylesheet" href="/static/nojs.css"></noscript>';

/** The codename panel a new source sees (with JavaScript) before anything is sent. */
const codenamePanel = (t: Translator) => `<section id="codename-panel" class="panel" hidden tabindex="-1">
<h2>${t.html('codename.heading')}</h2>
${codenameNote(t)}<p class="codename" id="codename" dir="ltr"></p>
${digitsNote(t)}<p class="codename codename-digits" id="codename-digits" dir="ltr"></p>
<p>${t.html('codename.onlyWayBack')}</p>
<p><label><input type="checkbox" id="codename-confirm"> ${t.html('codename.confirm')}</label></p>
<p><button type="button" id="codename-continue" disabled>${t.html('codename.continue')}</button></p>
</section>`;

/** The fields and the plain Send button of every no-JavaScript form; the message comes first, so a refusal can keep it. */
// The form's one-send token (server/sources/form-tokens.ts), first in the form.
const onceField = (once: string | undefined) => (once ? `<input type="hidden" name="once" value="${escapeHtml(once)}">\n` : '');

export function plainFields(t: Translator, maxFile: string, message = '', withScript = true, once?: string): string {
  const hint = withScript
    ? `<span class="hint js-only">${t.html('form.documentsHint', { size: maxFile })}</span><span class="hint nojs-only">${t.html('form.documentsHintNojs', { size: maxFile })}</span>`
    : `<span class="hint">${t.html('form.documentsHintNojs', { size: maxFile })}</span>`;
  return `${onceField(once)}<p><label for="message">${t.html('form.message')}</label>
<textarea id="message" name="message" rows="8" maxlength="100000" dir="auto">${escapeHtml(message)}</textarea></p>
<p><label for="files">${t.html('form.documents')} ${hint}</label>
<input type="file" id="files" name="files" multiple></p>`;
}

/** The send form; also embedded (hidden) in the login page, where the script reveals it after login. */
export function sendForm(t: Translator, maxFile: string, message = '', once?: string, desks = ''): string {
  return `<form id="drop" method="post" action="/submit" enctype="multipart/form-data">
${desks}${plainFields(t, maxFile, message, true, once)}
<p><button type="submit" id="send" class="js-only" disabled>${t.html('form.send')}</button>
<noscript><button type="submit" id="send-plain">${t.html('form.sendPlain')}</button></noscript></p>
</form>
<section id="progress"></section>
<p id="progress-summary" class="sr-only" role="status" aria-live="polite"></p>
<section id="done" class="done" hidden tabindex="-1">
<h2>${t.html('sent.heading')}</h2>
<p>${t.html('sent.js', {}, LINKS)}</p>
${leaveForm(t)}</section>
<section id="failed" class="warning" hidden tabindex="-1" role="alert"></section>
${codenamePanel(t)}`;
}

/** Said before the Send button: where to send from, hidden details, how long it takes. The guide is linked here only. */
export const beforeYouSend = (t: Translator) => `<h2>${t.html('source.before.heading')}</h2>
<ul>
<li>${t.html('source.before.device')}</li>
<li>${t.html('source.before.metadata')}</li>
<li>${t.html('source.before.time')}</li>
</ul>
<p>${t.html('source.guideLink', {}, LINKS)}</p>
`;

/**
 * Without JavaScript, a codename can come first (a plain form step), so that a send cut short can
 * be sent again into the same conversation. With JavaScript the page makes one as it sends.
 */
const codenameFirst = (t: Translator, once: string | undefined, desks: string) => `<form class="nojs-only codename-first" method="post" action="/codename">
${onceField(once)}${desks}<p>${t.html('source.codenameFirst.text')}</p>
<p><button type="submit" id="codename-first">${t.html('source.codenameFirst.button')}</button></p>
</form>
`;

/** A refused no-JavaScript send, said above the form that still holds what was typed. */
export const refusal = (t: Translator, r: Refused | undefined) =>
  r ? `<section id="refused"><h2>${t.html('error.title.notSent')}</h2>\n<p class="warning" role="alert">${escapeHtml(r.reason)}</p></section>\n` : '';

export function renderSourcePage({ t, open, maxFile, onion = null, branding, refused, leave, once, desks, ownDesk }: SourcePageOptions): string {
  if (!open) return sourceLayout({ t, branding, title: t.text('source.closed.title'), body: `${closed(t)}${onion ? onionNote(t, onion) : ''}\n<p>${t.html('source.guideLink', {}, LINKS)}</p>` });
  const heading = branding?.name ? t.html('source.headingNamed', { newsroom: branding.name }) : t.html('source.heading');
  const body = `<h1>${heading}</h1>
${refusal(t, refused)}${branding?.welcome ? `${paragraphs(branding.welcome, 'welcome')}\n` : ''}${onion ? onionNote(t, onion) : ''}${pathNotes(t)}
${leave ? '' : codenameFirst(t, once, deskChoice(t, desks, 'first-desk', refused?.desk))}${guidelines(t, branding)}${beforeYouSend(t)}${sendForm(t, maxFile, refused?.message, once, deskChoice(t, desks, 'desk', refused?.desk, ownDesk))}
<p>${t.html('source.returning', {}, LINKS)}</p>`;
  return sourceLayout({ t, branding, leave, title: t.text('source.title'), body, script: '/static/js/source.js', head: NOSCRIPT_CSS });
}
