import { escapeHtml } from '../../layout.ts';
import { csrfField, type Viewer } from '../frame.ts';
import { adminPage } from './page.ts';
import type { Translator } from '../../../i18n/index.ts';

/** Retention as the admin page shows it: the administrator's own setting (null: none made) and the server's default. */
export type RetentionView = { setting: number | null; configured: number | null };

const keepFor = (t: Translator, days: number | null) => (days === null ? t.text('staff.retention.forever') : t.text('staff.retention.days', { days }));

export function renderRetention({ t, viewer, retention: r }: { t: Translator; viewer: Viewer; retention: RetentionView }): string {
  const effective = r.setting === null ? r.configured : r.setting === 0 ? null : r.setting;
  const now = t.html(r.setting === null ? 'staff.retention.nowServer' : 'staff.retention.now', { keep: keepFor(t, effective) });
  return adminPage(t, viewer, 'retention', `<p id="retention-now">${now}</p>
<form method="post" action="/admin/retention">${csrfField(viewer.csrf)}
<p><label for="retention-days">${t.html('staff.retention.label', { keep: keepFor(t, r.configured) })}</label>
<input id="retention-days" name="days" inputmode="numeric" pattern="[0-9]{0,5}" value="${r.setting ?? ''}"></p>
<p><button type="submit">${t.html('staff.retention.save')}</button></p>
</form>`);
}

/**
 * What the drop does about notices, as the server was started: the relay's host only (never its
 * user or password), whether a webhook is set (never its address, which may hold a token), the
 * window, and who asked to be told by mail, by username (never their addresses).
 */
export type NotifyView = { smtpHost: string | null; webhook: boolean; windowMinutes: number; recipients: string[] };

export function renderNotifications({ t, viewer, notify: n }: { t: Translator; viewer: Viewer; notify: NotifyView }): string {
  const mail = n.smtpHost ? t.html('staff.admin.notify.mailOn', { host: n.smtpHost }) : t.html('staff.admin.notify.mailOff');
  const names = n.recipients.map((u) => `<li><bdi>${escapeHtml(u)}</bdi></li>`).join('');
  return adminPage(t, viewer, 'notifications', `<p>${t.html('staff.admin.notify.intro')}</p>
<ul class="notify-settings">
<li id="notify-mail">${mail}</li>
<li id="notify-webhook">${t.html(n.webhook ? 'staff.admin.notify.webhookOn' : 'staff.admin.notify.webhookOff')}</li>
<li id="notify-window">${t.html('staff.admin.notify.window', { minutes: n.windowMinutes })}</li>
</ul>
<h2>${t.html('staff.admin.notify.recipients')}</h2>
${names ? `<ul id="notify-recipients">${names}</ul>` : `<p id="notify-recipients">${t.html('staff.admin.notify.none')}</p>`}
<p>${t.html('staff.admin.notify.how')}</p>`);
}
