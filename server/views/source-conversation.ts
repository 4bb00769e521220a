import { escapeHtml } from './layout.ts';
import { beforeYouSend, codenameNote, digitsNote, LINKS, NOSCRIPT_CSS, plainFields, sendForm } from './source.ts';
import { leaveForm, sourceLayout, type PageBranding } from './source-frame.ts';
import { CODENAME_WORDS, codenameDigits } from '../../common/codename.ts';
import { EFF_LARGE_WORDLIST } from '../../common/wordlist.ts';
import type { Translator } from '../i18n/index.ts';
import { STATUS_KEY, type SentItem } from '../sources/sent-items.ts';
import { formatSize } from '../../common/sizes.ts';

// Seven words of 3 to 9 letters: the page keeps room for the longest codename (white space between
// elements, which nobody sees or copies), so its size does not say how long this codename is.
const LONGEST_CODENAME = CODENAME_WORDS * Math.max(...EFF_LARGE_WORDLIST.map((w) => w.length)) + CODENAME_WORDS - 1;
const codenameRoom = (codename: string) => ' '.repeat(Math.max(0, LONGEST_CODENAME - codename.length));

/** Shown once, right after a first submission on the no-JavaScript path. */
/** `first`: the codename was asked for before sending anything (no JavaScript), so nothing has arrived yet. */
export function renderCodenamePage(t: Translator, codename: string, branding?: PageBranding, leave?: string, first = false): string {
  // No language switch: following it would leave the only page that will ever show this codename.
  return sourceLayout({
    t,
    branding,
    leave,
    languageSwitch: false,
    title: t.text('codename.heading'),
    body: `${first ? `<h1>${t.html('nojs.codename.firstHeading')}</h1>` : `<h1>${t.html('nojs.codename.heading')}</h1>
<section class="done"><p>${t.html('nojs.codename.arrived')}</p></section>`}
${codenameNote(t)}<p class="codename" id="codename" dir="ltr">${escapeHtml(codename)}</p>${codenameRoom(codename)}
${digitsNote(t)}<p class="codename codename-digits" id="codename-digits" dir="ltr">${escapeHtml(codenameDigits(codename))}</p>
<p>${t.html('nojs.codename.onlyWayBack')}</p>
<p>${t.html('nojs.codename.forgotten')}</p>
<p>${t.html(first ? 'nojs.codename.firstNext' : 'nojs.codename.next', {}, LINKS)}</p>`,
  });
}

// Room for what a source typed into the codename field, kept after a refusal: the page is as long
// whatever was typed (up to the room; anything longer is not kept).
const TYPED_ROOM = 400;
function typedCodename(typed: string | undefined): string {
  const value = escapeHtml(typed ?? '');
  return value.length > TYPED_ROOM ? '' : value;
}

export type SourceLoginOptions = { t: Translator; error?: string; maxFile: string; branding?: PageBranding; typed?: string; leave?: string };

export function renderSourceLogin({ t, error, maxFile, branding, typed, leave }: SourceLoginOptions): string {
  const value = typedCodename(typed);
  return sourceLayout({
    t,
    branding,
    leave,
    title: t.text('login.title'),
    head: NOSCRIPT_CSS,
    script: '/static/js/source.js',
    body: `<h1>${t.html('login.title')}</h1>
<p>${t.html('login.intro')}</p>
${error ? `<p class="warning" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="codename-form" method="post" action="/login">
<p><label for="codename-input">${t.html('login.label')}</label><input id="codename-input" name="codename" dir="ltr" autocomplete="off" autocapitalize="none" spellcheck="false" required value="${value}">${' '.repeat(TYPED_ROOM - value.length)}</p>
<p><noscript><button type="submit" id="codename-plain">${t.html('login.submitPlain')}</button></noscript>
<button type="submit" id="codename-submit" class="js-only" disabled>${t.html('login.submit')}</button></p>
</form>
<p class="path js-only" id="login-js" hidden>${t.html('login.js')}</p>
<noscript><p class="path">${t.html('login.nojs')}</p></noscript>
<section id="conversation" hidden>
${leaveForm(t)}<h2>${t.html('replies.heading')}</h2>
<p class="path">${t.html('replies.js')}</p>
<ul id="replies"></ul>
${sentSection(t, null)}<h2>${t.html('replies.sendMore')}</h2>
${beforeYouSend(t)}${sendForm(t, maxFile)}
</section>`,
  });
}

export type ShownReply = { id: string; day: string; text: string };

/** One line per item the source sent: its number, day, size class and what became of it. */
const sentLine = (t: Translator, i: SentItem) =>
  `<li>${t.html('client.mine.item', { n: i.n, day: i.day, size: formatSize(i.size), status: t.text(STATUS_KEY[i.status]) })}</li>`;

/**
 * What the source sent (no-JS: filled here, without names; with JavaScript: the page script fills
 * #sent-items after login and opens each name with the source's own key, on the device).
 */
export const sentSection = (t: Translator, items: SentItem[] | null) => `<h2>${t.html('client.mine.heading')}</h2>
<p class="hint">${t.html(items === null ? 'client.mine.namesHere' : 'client.mine.noNames')}</p>
<ul id="sent-items">${items === null ? '' : items.length ? items.map((i) => sentLine(t, i)).join('\n') : `<li>${t.html('client.mine.none')}</li>`}</ul>
`;

const replyItem = (t: Translator, csrf: string) => (r: ShownReply) =>
  `<li class="reply"><p class="hint">${t.html('replies.received', { day: r.day })}</p><pre class="message" dir="auto">${escapeHtml(r.text)}</pre>
<form method="post" action="/replies/${escapeHtml(r.id)}/delete"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">${t.html('replies.delete')}</button></form></li>`;

export type ConversationOptions = { t: Translator; replies: ShownReply[]; sent: SentItem[]; csrf: string; maxFile: string; branding?: PageBranding; once?: string };

/** The no-JavaScript conversation: replies decrypted by the server in memory, for this page only. */
export function renderConversation({ t, replies, sent, csrf, maxFile, branding, once }: ConversationOptions): string {
  const items = replies.length ? replies.map(replyItem(t, csrf)).join('\n') : `<li>${t.html('replies.none')}</li>`;
  // No switch here either: the replies were decrypted for this one response.
  return sourceLayout({
    t,
    branding,
    leave: csrf,
    languageSwitch: false,
    title: t.text('replies.title'),
    body: `<h1>${t.html('replies.title')}</h1>
<p class="path">${t.html('replies.nojs')}</p>
<ul id="replies">${items}</ul>
${sentSection(t, sent)}<h2>${t.html('replies.sendMore')}</h2>
${beforeYouSend(t)}<form id="drop" method="post" action="/submit" enctype="multipart/form-data">
${plainFields(t, maxFile, '', false, once)}
<p><button type="submit" id="send-plain">${t.html('form.sendPlain')}</button></p>
</form>`,
  });
}
