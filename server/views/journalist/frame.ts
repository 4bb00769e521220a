import { escapeHtml, layout } from '../layout.ts';
import { translator } from '../../i18n/index.ts';

export type Viewer = { username: string; isAdmin: boolean; csrf: string };

export const csrfField = (csrf: string) => `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">`;

/** A staff page: navigation when logged in, and the journalist script (no inline code anywhere). */
export function staffPage(title: string, body: string, viewer?: Viewer): string {
  const nav = viewer
    ? `<nav class="staff-nav"><a href="/">Inbox</a>${viewer.isAdmin ? ' <a href="/admin">Journalists</a>' : ''}
<form method="post" action="/logout" class="inline">${csrfField(viewer.csrf)}<button type="submit" class="link">Log out ${escapeHtml(viewer.username)}</button></form></nav>\n`
    : '';
  // The journalist pages are in English so far (docs/translations.md): no switch that would not work.
  return layout({ t: translator('en'), title, body: `${nav}${body}`, script: '/static/js/journalist.js', languageSwitch: false });
}

/** A secret or address to copy exactly, with what it is for. */
export type NoticeCode = { id: string; label: string; value: string };

export function renderNotice(title: string, paragraphs: string[], o: { viewer?: Viewer; link?: { href: string; label: string }; code?: string; codes?: NoticeCode[] } = {}): string {
  const extra = (o.codes ?? []).map((c) => `\n<p>${escapeHtml(c.label)}</p>\n<p><code id="${escapeHtml(c.id)}" class="copy">${escapeHtml(c.value)}</code></p>`).join('');
  const code = (o.code ? `\n<p><code id="notice-code">${escapeHtml(o.code)}</code></p>` : '') + extra;
  const link = o.link ? `\n<p><a href="${escapeHtml(o.link.href)}">${escapeHtml(o.link.label)}</a></p>` : '';
  return staffPage(title, `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}${code}${link}`, o.viewer);
}

export function renderLogin({ csrf, error }: { csrf: string; error?: string }): string {
  return staffPage(
    'Log in',
    `<h1>Sealdrop for journalists</h1>
${error ? `<p class="warning" role="alert">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/login">${csrfField(csrf)}
<p><label for="username">Username</label><input id="username" name="username" autocomplete="username" required></p>
<p><label for="passphrase">Passphrase</label><input id="passphrase" name="passphrase" type="password" autocomplete="current-password" required></p>
<p><label for="code">Code from your authenticator app</label><input id="code" name="code" inputmode="numeric" pattern="[0-9]{6}" autocomplete="one-time-code" required></p>
<p><button type="submit">Log in</button></p>
</form>`,
  );
}

export function renderConfirm({ title, message, action, csrf, viewer }: { title: string; message: string; action: string; csrf: string; viewer: Viewer }): string {
  return staffPage(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p class="warning">${escapeHtml(message)}</p>
<form method="post" action="${escapeHtml(action)}">${csrfField(csrf)}
<p><button type="submit" id="confirm">Yes, delete permanently</button> <a href="/">No, go back</a></p>
</form>`,
    viewer,
  );
}
