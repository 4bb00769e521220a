import { escapeHtml, layout } from '../layout.ts';
import type { Translator } from '../../i18n/index.ts';
import type { Notice } from '../../http/notice.ts';

/**
 * Who is looking, for the frame: `lockMinutes` is their idle auto-lock (the key bar's client reads
 * it), `notice` takes the notice left by their last action (server/http/notice.ts), once.
 */
export type Viewer = { username: string; isAdmin: boolean; csrf: string; lockMinutes: number; notice?: () => Notice | null; /** Admin pages: fewer than two active administrators (the two-person rule cannot hold). */ fewAdmins?: boolean };

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

function staffNav(t: Translator, viewer: Viewer): string {
  const admin = viewer.isAdmin ? ` <a href="/admin">${t.html('staff.nav.admin')}</a>` : '';
  return `<nav class="staff-nav" aria-label="${escapeHtml(t.text('staff.nav.label'))}"><a href="/">${t.html('staff.nav.inbox')}</a> <a href="/account">${t.html('staff.nav.account')}</a> <a href="/access">${t.html('staff.access.nav')}</a>${admin}
<form method="post" action="/logout" class="inline">${csrfField(viewer.csrf)}<button type="submit" class="link">${t.html('staff.nav.logout', { username: viewer.username })}</button></form></nav>`;
}

/**
 * The key bar stays on every page of the workspace: the shell (client/journalist/shell.ts) swaps
 * only #workspace, so the key unlocked here stays in the tab's memory from page to page.
 */
const keyBar = (t: Translator) => `<section id="key-panel" class="key-bar" aria-label="${escapeHtml(t.text('staff.key.heading'))}">
<p class="key-fields"><span class="key-field"><label for="key-file">${t.html('staff.key.file')}</label> <input type="file" id="key-file" accept=".asc,.gpg,.pgp,.key,text/plain"></span>
<span class="key-field"><label for="key-passphrase">${t.html('staff.key.passphrase')}</label> <input type="password" id="key-passphrase" autocomplete="off"></span></p>
<p class="key-actions"><button type="button" id="load-key">${t.html('staff.key.unlock')}</button><button type="button" id="lock-key" hidden>${t.html('staff.key.lock')}</button> <span id="key-status" role="status">${t.html('staff.key.locked')}</span></p>
<p class="hint key-where">${t.html('staff.key.where')}</p>
</section>`;

/** The notice left by the last action, in the reader's language; the area is there even when empty, for the shell to fill. */
function noticeArea(t: Translator, viewer: Viewer): string {
  const n = viewer.notice?.();
  const words = n ? t.html(n.key, n.params) : '';
  // A notice may lead somewhere (the login's "who can read what has changed" leads to /access).
  return `<div id="notice-area">${n ? `<p class="notice" role="status">${n.href ? `<a href="${escapeHtml(n.href)}">${words}</a>` : words}</p>` : ''}</div>`;
}

/**
 * A staff page. For a logged-in viewer: the nav, the key bar, the CSRF token the page script sends,
 * the notice, and the page's own content in #workspace (the only part client navigation replaces).
 * Without a viewer (login, setup, enrolment) the content stands alone: no #workspace, so the shell
 * loads such a page in full.
 */
export function staffPage(t: Translator, title: string, body: string, viewer?: Viewer, languageSwitch = true): string {
  const content = viewer
    ? `${staffNav(t, viewer)}
${keyBar(t)}
<input type="hidden" id="csrf-token" value="${escapeHtml(viewer.csrf)}">
${noticeArea(t, viewer)}
<div id="workspace" data-lock-minutes="${viewer.lockMinutes}">
${body}
</div>`
    : body;
  return layout({ t, title, body: content, script: '/static/js/journalist.js', strings: 'staff.script.', languageSwitch });
}

/** A secret or address to copy exactly, with what it is for (both already in the reader's language). */
export type NoticeCode = { id: string; label: string; value: string };

export function renderNotice(t: Translator, title: string, paragraphs: string[], o: { viewer?: Viewer; link?: { href: string; label: string }; code?: string; codes?: NoticeCode[] } = {}): string {
  const extra = (o.codes ?? []).map((c) => `\n<p>${escapeHtml(c.label)}</p>\n<p><code id="${escapeHtml(c.id)}" class="copy">${escapeHtml(c.value)}</code></p>`).join('');
  const code = (o.code ? `\n<p><code id="notice-code">${escapeHtml(o.code)}</code></p>` : '') + extra;
  const link = o.link ? `\n<p><a href="${escapeHtml(o.link.href)}">${escapeHtml(o.link.label)}</a></p>` : '';
  // A one-time link or key is shown once: no language switch to click away from it by.
  const switchable = code === '';
  return staffPage(t, title, `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}${code}${link}`, o.viewer, switchable);
}

export function renderLogin({ t, csrf, error }: { t: Translator; csrf: string; error?: string }): string {
  return staffPage(
    t,
    t.text('staff.login.title'),
    `<h1>${t.html('staff.login.heading')}</h1>
${error ? `<p class="warning" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">${csrfField(csrf)}
<p><label for="username">${t.html('staff.username')}</label><input id="username" name="username" dir="ltr" autocomplete="username" required></p>
<p><label for="passphrase">${t.html('staff.login.passphrase')}</label><input id="passphrase" name="passphrase" type="password" autocomplete="current-password" required></p>
<p><label for="code">${t.html('staff.login.code')}</label><input id="code" name="code" dir="ltr" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required></p>
<p><button type="submit">${t.html('staff.login.submit')}</button></p>
</form>`,
  );
}

export function renderConfirm({ t, title, message, action, csrf, viewer }: { t: Translator; title: string; message: string; action: string; csrf: string; viewer: Viewer }): string {
  return staffPage(
    t,
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="warning">${escapeHtml(message)}</p>
<form method="post" action="${escapeHtml(action)}">${csrfField(csrf)}
<p><button type="submit" id="confirm">${t.html('staff.confirm.yes')}</button> <a href="/">${t.html('staff.confirm.no')}</a></p>
</form>`,
    viewer,
  );
}
