import { escapeHtml, layout } from '../layout.ts';
import type { Translator } from '../../i18n/index.ts';

export type Viewer = { username: string; isAdmin: boolean; csrf: string };

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

/** A staff page: navigation when logged in, and the journalist script (no inline code anywhere). */
export function staffPage(t: Translator, title: string, body: string, viewer?: Viewer, languageSwitch = true): string {
  const nav = viewer
    ? `<nav class="staff-nav"><a href="/">${t.html('staff.nav.inbox')}</a>${viewer.isAdmin ? ` <a href="/admin">${t.html('staff.nav.admin')}</a>` : ''}
<form method="post" action="/logout" class="inline">${csrfField(viewer.csrf)}<button type="submit" class="link">${t.html('staff.nav.logout', { username: viewer.username })}</button></form></nav>\n`
    : '';
  return layout({ t, title, body: `${nav}${body}`, script: '/static/js/journalist.js', strings: 'staff.script.', languageSwitch });
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
