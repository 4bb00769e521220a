import { USERNAME_PATTERN } from '../../../common/ids.ts';
import type { Journalist } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import { renderSQR } from './qr.ts';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../../../common/i18n/languages.ts';

function actions(j: Journalist, csrf: string, onions: boolean): string {
  const button = (action: string, label: string) =>
    `<form method="post" action="/admin/journalists/${j.id}/${action}" class="inline">${csrfField(csrf)}<button type="submit">${label}</button></form>`;
  return [
    j.active ? button('disable', 'Disable') : button('enable', 'Enable'),
    button('reset', 'Reset passphrase and 2FA'),
    ...(onions ? [button('access', 'New Tor access key')] : []),
    button('remove', 'Remove'),
    `<details><summary>Replace key</summary><form method="post" action="/admin/journalists/${j.id}/key">${csrfField(csrf)}
<label for="key-${j.id}">New public key</label><textarea id="key-${j.id}" name="public_key" rows="4" required></textarea>
<button type="submit">Replace key</button></form></details>`,
  ].join(' ');
}

/** Where sources go: the address to print, publish and say aloud, and a QR code of it. */
const sourceAddress = (onion: string) => `<h2>The address for sources</h2>
<p>Publish this onion address where sources will find it (your website, print, social media). It opens only in Tor Browser.</p>
<p><code id="source-onion" class="onion-address">http://${escapeHtml(onion)}/</code></p>
<figure class="qr">${renderSQR(`http://${onion}/`)}<figcaption>The same address as a QR code.</figcaption></figure>`;

/** Retention as the admin page shows it: the administrator's own setting (null: none made) and the server's default. */
export type RetentionView = { setting: number | null; configured: number | null };

const keepFor = (days: number | null) => (days === null ? 'kept until a journalist deletes them' : `deleted after ${days} day${days === 1 ? '' : 's'}`);

function retentionForm(r: RetentionView, csrf: string): string {
  const effective = r.setting === null ? r.configured : r.setting === 0 ? null : r.setting;
  return `<h2>Retention</h2>
<p id="retention-now">Submissions and replies are ${keepFor(effective)}${r.setting === null ? ' (the server’s setting, SEALDROP_RETENTION_DAYS)' : ''}. Whatever is older is removed, from the database and the disk, at once when this changes and then every hour; abandoned uploads go after a day.</p>
<form method="post" action="/admin/retention">${csrfField(csrf)}
<p><label for="retention-days">Delete after this many days (0 keeps everything; empty uses the server’s setting, ${escapeHtml(keepFor(r.configured))})</label>
<input id="retention-days" name="days" inputmode="numeric" pattern="[0-9]{0,5}" value="${r.setting ?? ''}"></p>
<p><button type="submit">Save retention</button></p>
</form>`;
}

export type BrandingTexts = { name: string; welcome: string; guidelines: string };
export type BrandingView = { texts: Record<string, BrandingTexts>; logo: boolean };

/** One form per language; the default (English) one keeps the plain ids, the others add their tag. */
function textsForm(l: Language, b: BrandingTexts, csrf: string): string {
  const first = l.tag === DEFAULT_LANGUAGE;
  const id = (field: string) => (first ? `brand-${field}` : `brand-${field}-${l.tag}`);
  const legend = first ? 'Default texts (English, and every language without its own)' : `In ${escapeHtml(l.name)} (empty: the default texts)`;
  return `<form method="post" action="/admin/branding">${csrfField(csrf)}<input type="hidden" name="lang" value="${l.tag}">
<fieldset><legend>${legend}</legend>
<p><label for="${id('name')}">Newsroom name</label><input id="${id('name')}" name="name" maxlength="80" lang="${l.tag}" dir="auto" value="${escapeHtml(b.name)}"></p>
<p><label for="${id('welcome')}">Welcome text</label><textarea id="${id('welcome')}" name="welcome" rows="4" maxlength="2000" lang="${l.tag}" dir="auto">${escapeHtml(b.welcome)}</textarea></p>
<p><label for="${id('guidelines')}">Submission guidelines</label><textarea id="${id('guidelines')}" name="guidelines" rows="6" maxlength="4000" lang="${l.tag}" dir="auto">${escapeHtml(b.guidelines)}</textarea></p>
<p><button type="submit"${first ? '' : ` id="brand-save-${l.tag}"`}>Save</button></p>
</fieldset>
</form>`;
}

function brandingForms(b: BrandingView, csrf: string): string {
  const logo = b.logo
    ? `<p><img class="newsroom-logo" src="/admin/branding/logo" alt="The current logo"></p>
<form method="post" action="/admin/branding/logo/remove">${csrfField(csrf)}<button type="submit">Remove the logo</button></form>`
    : '';
  return `<h2>Your newsroom on the source page</h2>
<p>Sources see these on the page they send from; leave them empty for neutral defaults. Plain text, shown exactly as typed (a blank line starts a paragraph).</p>
${LANGUAGES.map((l) => textsForm(l, b.texts[l.tag] ?? { name: '', welcome: '', guidelines: '' }, csrf)).join('\n')}
<form method="post" action="/admin/branding/logo?csrf=${encodeURIComponent(csrf)}" enctype="multipart/form-data">
<p><label for="brand-logo">Logo: PNG or JPEG, at most 256 KiB. Everything but the picture (camera and location data, names, times) is removed.</label>
<input type="file" id="brand-logo" name="logo" accept="image/png,image/jpeg" required></p>
<p><button type="submit">Upload the logo</button></p>
</form>
${logo}`;
}

export type AdminOptions = { journalists: Journalist[]; viewer: Viewer; sourceOnion?: string | null; onions?: boolean; retention?: RetentionView; branding?: BrandingView };

export function renderAdmin({ journalists, viewer, sourceOnion = null, onions = false, retention = { setting: null, configured: null }, branding = { texts: {}, logo: false } }: AdminOptions): string {
  const state = (j: Journalist) => [j.active ? 'active' : 'disabled', j.enrolled ? '' : 'not enrolled', onions && !j.hasOnionAccess ? 'no Tor access key' : ''].filter(Boolean).join(', ');
  const rows = journalists
    .map(
      (j) => `<tr><td>${escapeHtml(j.username)}${j.isAdmin ? ' (admin)' : ''}</td><td><code>${escapeHtml(j.fingerprint)}</code></td>
<td>${state(j)}</td><td>${actions(j, viewer.csrf, onions)}</td></tr>`,
    )
    .join('\n');
  return staffPage(
    'Journalists',
    `${sourceOnion ? sourceAddress(sourceOnion) : ''}<h1>Journalists</h1>
<p>New submissions are encrypted to every active journalist's key. The command line (<code>sealdrop journalist …</code>) acts on the same accounts.</p>
<table><thead><tr><th>Username</th><th>Key fingerprint</th><th>State</th><th>Actions</th></tr></thead><tbody>
${rows}
</tbody></table>
<h2>Add a journalist</h2>
<form method="post" action="/admin/journalists">${csrfField(viewer.csrf)}
<p><label for="new-username">Username</label><input id="new-username" name="username" pattern="${USERNAME_PATTERN}" required></p>
<p><label for="new-key">Their public key</label><textarea id="new-key" name="public_key" rows="6" required></textarea></p>
<p><label><input type="checkbox" name="admin" value="1"> Administrator</label></p>
<p><button type="submit">Add and make an enrolment link</button></p>
</form>
${retentionForm(retention, viewer.csrf)}
${brandingForms(branding, viewer.csrf)}`,
    viewer,
  );
}
