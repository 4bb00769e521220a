import { escapeHtml, layout } from './layout.ts';

/** The newsroom's own face (admin page); empty fields keep the neutral defaults. */
export type PageBranding = { name: string; welcome: string; guidelines: string; logo: boolean };
/** The same codename as digits, for a source who cannot easily copy Latin letters; either form logs in. */
export const DIGITS_NOTE = '<p class="hint">The same codename in digits (either form works to log in; keep one of them):</p>\n';

export type SourcePageOptions = { open: boolean; maxFileMiB: number; onion?: string | null; branding?: PageBranding };

/** Plain text typed by an administrator: escaped, blank lines make paragraphs, line breaks stay. */
const paragraphs = (text: string, className: string) =>
  text.split(/\n{2,}/).map((p) => `<p class="${className}" dir="auto">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('\n');

function newsroomHeader(b: PageBranding | undefined): string {
  if (!b || (!b.name && !b.logo)) return '';
  const logo = b.logo ? `<img class="newsroom-logo" src="/branding/logo" alt="${escapeHtml(b.name || 'Newsroom')} logo">` : '';
  return `<header class="newsroom">${logo}${b.name ? `<p class="newsroom-name" dir="auto">${escapeHtml(b.name)}</p>` : ''}</header>\n`;
}

const guidelines = (b: PageBranding | undefined) => (b?.guidelines ? `<h2>This newsroom's guidelines</h2>\n${paragraphs(b.guidelines, 'guidelines')}\n` : '');

/** For a source who came some other way: the onion address is the safer way in. */
const onionNote = (onion: string) => `<p class="onion-note">Safer: open this drop in Tor Browser at
<bdi class="onion-address" dir="ltr">http://${escapeHtml(onion)}/</bdi>. Nobody watching your network can then see that you visited this newsroom's drop.</p>`;

const CLOSED = `<h1>Submissions are not open yet</h1>
<p>This newsroom has not finished setting up its secure drop, so nothing can be sent here yet.
Nothing you do on this page is recorded. Please come back later.</p>`;

// Shown while the page script loads (hidden by nojs.css when JavaScript is off): until the script
// takes over, the form cannot be sent, so nothing leaves unencrypted by accident.
const pathNotes = (maxFileMiB: number) => `<p id="path-loading" class="path js-only" role="status">Preparing encryption on this device… If this
message stays, this browser could not load it: turn JavaScript off (in Tor Browser: Security Level "Safest") and reload.</p>
<p id="path-js" class="path" hidden><strong>Your files are encrypted on this device</strong> before
they leave it, so that only the newsroom's journalists can read them. The server never sees them unencrypted.</p>
<noscript><p class="path"><strong>JavaScript is off.</strong> Your files will travel to the server over this connection
(encrypted by Tor on an .onion address) and the server encrypts them the moment they arrive, in memory, before anything is
written to disk. The server therefore briefly handles them unencrypted. With JavaScript on, they would be encrypted on your
device instead. Without JavaScript, one send can carry up to ${maxFileMiB} MiB in all.</p></noscript>
<p id="path-unsupported" class="path warning" hidden><strong>This browser cannot encrypt files itself</strong>, so the page
will not send anything from here. You can turn JavaScript off (in Tor Browser: Security Level "Safest") and use the
form, which the server encrypts on arrival.</p>`;

const NOSCRIPT_CSS = '<noscript><link rel="stylesheet" href="/static/nojs.css"></noscript>';

 /** The send form; also embedded (hidden) in the login page, where the script reveals it after login. */
export function sendForm(maxFileMiB: number): string {
  return `<form id="drop" method="post" action="/submit" enctype="multipart/form-data">
<p><label for="files">Documents <span class="hint">(any type, up to ${maxFileMiB} MiB each)</span></label>
<input type="file" id="files" name="files" multiple></p>
<p><label for="message">Message</label>
<textarea id="message" name="message" rows="8" maxlength="100000"></textarea></p>
<p><button type="submit" id="send" class="js-only" disabled>Send securely</button>
<noscript><button type="submit" id="send-plain">Send (the server encrypts on arrival)</button></noscript></p>
</form>
<section id="progress"></section>
<p id="progress-summary" class="sr-only" role="status" aria-live="polite"></p>
<section id="done" class="done" hidden tabindex="-1">
<h2>Sent</h2>
<p>Everything you sent arrived encrypted. Only the newsroom's journalists can read it.
To check for replies later, <a href="/login">log in with your codename</a>.</p>
</section>
<section id="failed" class="warning" hidden tabindex="-1" role="alert"></section>
<section id="codename-panel" class="panel" hidden tabindex="-1">
<h2>Your codename</h2>
<p class="codename" id="codename"></p>
${DIGITS_NOTE}<p class="codename codename-digits" id="codename-digits" dir="ltr"></p>
<p><strong>This codename is the only way back</strong> to read replies from the newsroom and to send more. Write it down
on paper and keep it secret and safe. It was made on this device and is never sent anywhere; nobody can recover it for you.</p>
<p><label><input type="checkbox" id="codename-confirm"> I have written down my codename</label></p>
<p><button type="button" id="codename-continue" disabled>Continue and send</button></p>
</section>`;
}

export function renderSourcePage({ open, maxFileMiB, onion = null, branding }: SourcePageOptions): string {
  if (!open) return layout({ title: 'Not open yet', body: newsroomHeader(branding) + CLOSED + (onion ? onionNote(onion) : '') });
  const body = `${newsroomHeader(branding)}<h1>Send documents and messages securely${branding?.name ? ` to <bdi>${escapeHtml(branding.name)}</bdi>` : ''}</h1>
${branding?.welcome ? `${paragraphs(branding.welcome, 'welcome')}\n` : ''}${onion ? onionNote(onion) : ''}${pathNotes(maxFileMiB)}
${sendForm(maxFileMiB)}
<p>Sent something before? <a href="/login">Check for replies with your codename</a>.</p>
<h2>Before you send</h2>
<ul>
<li>Use Tor Browser on a device that is not your employer's, on a network that is not your employer's.</li>
<li>Documents can carry hidden details (author names, printer dots, edit history). Tell us in the message if you are unsure.</li>
</ul>
${guidelines(branding)}`;
  return layout({ title: 'Send securely', body, script: '/static/js/source.js', head: NOSCRIPT_CSS });
}
