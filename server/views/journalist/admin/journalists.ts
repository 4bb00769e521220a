import { USERNAME_PATTERN } from '../../../../common/ids.ts';
import type { Journalist } from '../../../store/index.ts';
import { escapeHtml } from '../../layout.ts';
import { csrfField, type Viewer } from '../frame.ts';
import { adminPage } from './page.ts';
import type { Translator } from '../../../i18n/index.ts';

const post = (t: Translator, j: Journalist, csrf: string, action: string, key: string, danger = false) =>
  `<form method="post" action="/admin/journalists/${j.id}/${action}" class="inline">${csrfField(csrf)}<button type="submit"${danger ? ' class="danger"' : ''}>${t.html(key)}</button></form>`;

function everyday(t: Translator, j: Journalist, csrf: string, onions: boolean): string {
  return `<p class="journalist-actions">${post(t, j, csrf, 'reset', 'staff.admin.reset')}${onions ? ` ${post(t, j, csrf, 'access', 'staff.admin.access')}` : ''}</p>
<details><summary>${t.html('staff.admin.replaceKey')}</summary><form method="post" action="/admin/journalists/${j.id}/key">${csrfField(csrf)}
<p><label for="key-${j.id}">${t.html('staff.admin.newKey')}</label><textarea id="key-${j.id}" name="public_key" rows="4" dir="ltr" required></textarea></p>
<p><button type="submit">${t.html('staff.admin.replaceKey')}</button></p></form></details>`;
}

/**
 * Disabling and removing stand apart from the everyday buttons, styled as what they are. Remove
 * is a plain link to a page that names the journalist and asks once; nothing goes from this page.
 */
function destructive(t: Translator, j: Journalist, csrf: string): string {
  const toggle = j.active ? post(t, j, csrf, 'disable', 'staff.admin.disable', true) : post(t, j, csrf, 'enable', 'staff.admin.enable');
  const remove = `<form method="get" action="/admin/journalists/${j.id}/remove" class="inline"><button type="submit" class="danger">${t.html('staff.admin.remove')}</button></form>`;
  const demote = j.isAdmin ? ` ${post(t, j, csrf, 'demote', 'staff.changes.demote', true)}` : '';
  return `<p class="journalist-danger">${toggle}${demote} ${remove}</p>`;
}

function state(t: Translator, j: Journalist, onions: boolean, awaiting: boolean): string {
  const parts = [t.text(awaiting ? 'staff.changes.awaiting' : j.active ? 'staff.admin.active' : 'staff.admin.disabled'), j.enrolled ? '' : t.text('staff.admin.notEnrolled'), onions && !j.hasOnionAccess ? t.text('staff.admin.noAccess') : ''];
  return parts.filter(Boolean).join(t.text('staff.list'));
}

/** One journalist a block, not a table row: it reads top to bottom at 360 px. */
function entry(t: Translator, j: Journalist, viewer: Viewer, onions: boolean, awaiting: boolean): string {
  const self = j.username === viewer.username;
  return `<li class="journalist${awaiting ? ' awaiting' : ''}" id="journalist-${j.id}">
<h2><bdi>${escapeHtml(j.username)}</bdi>${j.isAdmin ? ` ${t.html('staff.admin.isAdmin')}` : ''}</h2>
<p>${t.html('staff.admin.fingerprint')}: <code class="fingerprint" dir="ltr">${escapeHtml(j.fingerprint)}</code></p>
<p>${t.html('staff.admin.state')}: ${escapeHtml(state(t, j, onions, awaiting))}</p>
${everyday(t, j, viewer.csrf, onions)}
${self ? '' : destructive(t, j, viewer.csrf)}
</li>`;
}

const addForm = (t: Translator, csrf: string) => `<h2>${t.html('staff.admin.add')}</h2>
<form method="post" action="/admin/journalists">${csrfField(csrf)}
<p><label for="new-username">${t.html('staff.username')}</label><input id="new-username" name="username" dir="ltr" pattern="${USERNAME_PATTERN}" required></p>
<p><label for="new-key">${t.html('staff.admin.theirKey')}</label><textarea id="new-key" name="public_key" rows="6" dir="ltr" required></textarea></p>
<p><label><input type="checkbox" name="admin" value="1"> ${t.html('staff.admin.administrator')}</label></p>
<p><button type="submit">${t.html('staff.admin.addSubmit')}</button></p>
</form>`;

/** `awaiting`: journalists added or enabled whose key waits for a second administrator. */
export function renderJournalists({ t, viewer, journalists, onions, awaiting = new Set() }: { t: Translator; viewer: Viewer; journalists: Journalist[]; onions: boolean; awaiting?: Set<number> }): string {
  return adminPage(t, viewer, 'journalists', `<p>${t.html('staff.admin.intro')}</p>
<ul class="journalists">
${journalists.map((j) => entry(t, j, viewer, onions, awaiting.has(j.id))).join('\n')}
</ul>
${addForm(t, viewer.csrf)}`);
}
