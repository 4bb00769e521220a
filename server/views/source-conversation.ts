import { escapeHtml, layout } from './layout.ts';
import { DIGITS_NOTE, sendForm } from './source.ts';
import { codenameDigits } from '../../common/codename.ts';

const NOSCRIPT_CSS = '<noscript><link rel="stylesheet" href="/static/nojs.css"></noscript>';

/** Shown once, right after a first submission on the no-JavaScript path. */
export function renderCodenamePage(codename: string): string {
  return layout({
    title: 'Your codename',
    body: `<h1>Sent. Now write down your codename</h1>
<section class="done"><p>Everything you sent arrived and was encrypted by the server in memory on arrival.</p></section>
<p class="codename" id="codename">${escapeHtml(codename)}</p>
${DIGITS_NOTE}<p class="codename codename-digits" id="codename-digits" dir="ltr">${escapeHtml(codenameDigits(codename))}</p>
<p><strong>This codename is the only way back</strong> to read replies from the newsroom and to send more. Write it down on
paper and keep it secret and safe; do not store it on a work device. Nobody, not even the newsroom, can recover it for you.</p>
<p>With JavaScript off, the server made this codename and forgot it as soon as it sent you this page; it keeps only a
one-way fingerprint of it.</p>
<p><a href="/login">Check for replies later</a> · <a href="/">Send something else</a></p>`,
  });
}

export function renderSourceLogin({ error, maxFileMiB }: { error?: string; maxFileMiB: number }): string {
  return layout({
    title: 'Check for replies',
    head: NOSCRIPT_CSS,
    script: '/static/js/source.js',
    body: `<h1>Check for replies</h1>
<p>Type the seven-word codename you were given when you first sent something.</p>
${error ? `<p class="warning" role="alert">${escapeHtml(error)}</p>` : ''}
<form id="codename-form" method="post" action="/login">
<p><label for="codename-input">Codename: the seven words, or the 35 digits</label><input id="codename-input" name="codename" autocomplete="off" autocapitalize="none" spellcheck="false" required></p>
<p><noscript><button type="submit" id="codename-plain">Log in (the server decrypts your replies)</button></noscript>
<button type="submit" id="codename-submit" class="js-only" disabled>Log in</button></p>
</form>
<p class="path js-only" id="login-js" hidden>Your replies will be decrypted on this device.</p>
<noscript><p class="path">JavaScript is off: the server will use your codename, in memory only, to decrypt the replies
for you, and forget it once the page is sent.</p></noscript>
<section id="conversation" hidden>
<h2>Replies</h2>
<p class="path">These replies were decrypted on this device.</p>
<ul id="replies"></ul>
<h2>Send more</h2>
${sendForm(maxFileMiB)}
</section>`,
  });
}

export type ShownReply = { id: string; day: string; text: string };

/** The no-JavaScript conversation: replies decrypted by the server in memory, for this page only. */
export function renderConversation({ replies, csrf, maxFileMiB }: { replies: ShownReply[]; csrf: string; maxFileMiB: number }): string {
  const items = replies.length
    ? replies
        .map(
          (r) => `<li class="reply"><p class="hint">Reply received ${escapeHtml(r.day)}</p><pre class="message">${escapeHtml(r.text)}</pre>
<form method="post" action="/replies/${escapeHtml(r.id)}/delete"><input type="hidden" name="csrf" value="${escapeHtml(csrf)}"><button type="submit">Delete this reply</button></form></li>`,
        )
        .join('\n')
    : '<li>No replies yet. Check again in a few days.</li>';
  return layout({
    title: 'Your conversation',
    body: `<h1>Your conversation</h1>
<p class="path">JavaScript is off, so the server decrypted these replies in memory, for this page only.</p>
<ul id="replies">${items}</ul>
<h2>Send more</h2>
<form id="drop" method="post" action="/submit" enctype="multipart/form-data">
<p><label for="files">Documents <span class="hint">(up to ${maxFileMiB} MiB each)</span></label><input type="file" id="files" name="files" multiple></p>
<p><label for="message">Message</label><textarea id="message" name="message" rows="6" maxlength="100000"></textarea></p>
<p><button type="submit" id="send-plain">Send (the server encrypts on arrival)</button></p>
</form>`,
  });
}
