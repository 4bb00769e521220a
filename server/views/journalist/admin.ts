import { USERNAME_PATTERN } from '../../../common/ids.ts';
import type { Journalist } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import { renderSQR } from './qr.ts';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../../../common/i18n/languages.ts';
import type { Translator } from '../../i18n/index.ts';

function actions(t: Translator, j: Journalist, csrf: string, onions: boolean): string {
  const button = (action: string, key: string) =>
    `<form method="post" action="/admin/journalists/${j.id}/${action}" class="inline">${csrfField(csrf)}<button type="submit">${t.html(key)}</button></form>`;
  return [
    j.active ? button('disable', 'staff.admin.disable') : button('enable', 'staff.admin.enable'),
    button('reset', 'staff.admin.reset'),
    ...(onions ? [button('access', 'staff.admin.access')] : []),
    button('remove', 'staff.admin.remove'),
    `<details><summary>${t.html('staff.admin.replaceKey')}</summary><form method="post" action="/admin/journalists/${j.id}/key">${csrfField(csrf)}
<label for="key-${j.id}">${t.html('staff.admin.newKey')}</label><textarea id="key-${j.id}" name="public_key" rows="4" dir="ltr" required></textarea>
<button type="submit">${t.html('staff.admin.replaceKey')}</button></form></details>`,
  ].join(' ');
}

/** Where sources go: the address to print, publish and say aloud, and a QR code of it. */
const sourceAddress = (t: Translator, onion: string) => `<h2>${t.html('staff.onion.heading')}</h2>
<p>${t.html('staff.onion.publish')}</p>
<p><code id="source-onion" class="onion-address" dir="ltr">http://${escapeHtml(onion)}/</code></p>
<figure class="qr">${renderSQR(`http://${onion}/`, t.text('staff.qr.onion'))}<figcaption>${t.html('staff.onion.qr')}</figcaption></figure>`;

/** Retention as the admin page shows it: the administrator's own setting (null: none made) and the server's default. */
export type RetentionView = { setting: number | null; configured: number | null };

const keepFor = (t: Translator, days: number | null) => (days === null ? t.text('staff.retention.forever') : t.text('staff.retention.days', { days }));

function retentionForm(t: Translator, r: RetentionView, csrf: string): string {
  const effective = r.setting === null ? r.configured : r.setting === 0 ? null : r.setting;
  const now = t.html(r.setting === null ? 'staff.retention.nowServer' : 'staff.retention.now', { keep: keepFor(t, effective) });
  return `<h2>${t.html('staff.retention.heading')}</h2>
<p id="retention-now">${now}</p>
<form method="post" action="/admin/retention">${csrfField(csrf)}
<p><label for="retention-days">${t.html('staff.retention.label', { keep: keepFor(t, r.configured) })}</label>
<input id="retention-days" name="days" inputmode="numeric" pattern="[0-9]{0,5}" value="${r.setting ?? ''}"></p>
<p><button type="submit">${t.html('staff.retention.save')}</button></p>
</form>`;
}

export type BrandingTexts = { name: string; welcome: string; guidelines: string };
export type BrandingView = { texts: Record<string, BrandingTexts>; logo: boolean };

/** One form per language; the default (English) one keeps the plain ids, the others add their tag. */
function textsForm(t: Translator, l: Language, b: BrandingTexts, csrf: string): string {
  const first = l.tag === DEFAULT_LANGUAGE;
  const id = (field: string) => (first ? `brand-${field}` : `brand-${field}-${l.tag}`);
  const legend = first ? t.html('staff.brand.default') : t.html('staff.brand.in', { language: l.name });
  return `<form method="post" action="/admin/branding">${csrfField(csrf)}<input type="hidden" name="lang" value="${l.tag}">
<fieldset><legend>${legend}</legend>
<p><label for="${id('name')}">${t.html('staff.brand.name')}</label><input id="${id('name')}" name="name" maxlength="80" lang="${l.tag}" dir="auto" value="${escapeHtml(b.name)}"></p>
<p><label for="${id('welcome')}">${t.html('staff.brand.welcome')}</label><textarea id="${id('welcome')}" name="welcome" rows="4" maxlength="2000" lang="${l.tag}" dir="auto">${escapeHtml(b.welcome)}</textarea></p>
<p><label for="${id('guidelines')}">${t.html('staff.brand.guidelines')}</label><textarea id="${id('guidelines')}" name="guidelines" rows="6" maxlength="4000" lang="${l.tag}" dir="auto">${escapeHtml(b.guidelines)}</textarea></p>
<p><button type="submit"${first ? '' : ` id="brand-save-${l.tag}"`}>${t.html('staff.brand.save')}</button></p>
</fieldset>
</form>`;
}

function brandingForms(t: Translator, b: BrandingView, csrf: string): string {
  const logo = b.logo
    ? `<p><img class="newsroom-logo" src="/admin/branding/logo" alt="${escapeHtml(t.text('staff.brand.currentLogo'))}"></p>
<form method="post" action="/admin/branding/logo/remove">${csrfField(csrf)}<button type="submit">${t.html('staff.brand.removeLogo')}</button></form>`
    : '';
  return `<h2>${t.html('staff.brand.heading')}</h2>
<p>${t.html('staff.brand.intro')}</p>
${LANGUAGES.map((l) => textsForm(t, l, b.texts[l.tag] ?? { name: '', welcome: '', guidelines: '' }, csrf)).join('\n')}
<form method="post" action="/admin/branding/logo?csrf=${encodeURIComponent(csrf)}" enctype="multipart/form-data">
<p><label for="brand-logo">${t.html('staff.brand.logo')}</label>
<input type="file" id="brand-logo" name="logo" accept="image/png,image/jpeg" required></p>
<p><button type="submit">${t.html('staff.brand.upload')}</button></p>
</form>
${logo}`;
}

export type AdminOptions = { t: Translator; journalists: Journalist[]; viewer: Viewer; sourceOnion?: string | null; onions?: boolean; retention?: RetentionView; branding?: BrandingView };

export function renderAdmin({ t, journalists, viewer, sourceOnion = null, onions = false, retention = { setting: null, configured: null }, branding = { texts: {}, logo: false } }: AdminOptions): string {
  const state = (j: Journalist) =>
    [t.text(j.active ? 'staff.admin.active' : 'staff.admin.disabled'), j.enrolled ? '' : t.text('staff.admin.notEnrolled'), onions && !j.hasOnionAccess ? t.text('staff.admin.noAccess') : ''].filter(Boolean).join(t.text('staff.list'));
  const rows = journalists
    .map(
      (j) => `<tr><td><bdi>${escapeHtml(j.username)}</bdi>${j.isAdmin ? ` ${t.html('staff.admin.isAdmin')}` : ''}</td><td><code>${escapeHtml(j.fingerprint)}</code></td>
<td>${escapeHtml(state(j))}</td><td>${actions(t, j, viewer.csrf, onions)}</td></tr>`,
    )
    .join('\n');
  return staffPage(
    t,
    t.text('staff.admin.title'),
    `${sourceOnion ? sourceAddress(t, sourceOnion) : ''}<h1>${t.html('staff.admin.title')}</h1>
<p>${t.html('staff.admin.intro')}</p>
<table><thead><tr><th>${t.html('staff.username')}</th><th>${t.html('staff.admin.fingerprint')}</th><th>${t.html('staff.admin.state')}</th><th>${t.html('staff.admin.actions')}</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>${t.html('staff.admin.add')}</h2>
<form method="post" action="/admin/journalists">${csrfField(viewer.csrf)}
<p><label for="new-username">${t.html('staff.username')}</label><input id="new-username" name="username" dir="ltr" pattern="${USERNAME_PATTERN}" required></p>
<p><label for="new-key">${t.html('staff.admin.theirKey')}</label><textarea id="new-key" name="public_key" rows="6" dir="ltr" required></textarea></p>
<p><label><input type="checkbox" name="admin" value="1"> ${t.html('staff.admin.administrator')}</label></p>
<p><button type="submit">${t.html('staff.admin.addSubmit')}</button></p>
</form>
${retentionForm(t, retention, viewer.csrf)}
${brandingForms(t, branding, viewer.csrf)}`,
    viewer,
  );
}
