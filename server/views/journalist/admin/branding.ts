import { escapeHtml } from '../../layout.ts';
import { csrfField, type Viewer } from '../frame.ts';
import { adminPage } from './page.ts';
import { DEFAULT_LANGUAGE, LANGUAGES, type Language } from '../../../../common/i18n/languages.ts';
import type { Translator } from '../../../i18n/index.ts';

import type { Branding } from '../../../store/settings.ts';

/** The texts of one language's form: exactly what the store keeps. */
export type BrandingTexts = Branding;
export type BrandingView = { texts: Record<string, BrandingTexts>; logo: boolean };

/** One form per language; the default (English) one keeps the plain ids, the others add their tag. */
function textsForm(t: Translator, l: Language, b: BrandingTexts, csrf: string): string {
  const first = l.tag === DEFAULT_LANGUAGE;
  const id = (field: string) => (first ? `brand-${field}` : `brand-${field}-${l.tag}`);
  const legend = first ? t.html('staff.brand.default') : t.html('staff.brand.in', { language: l.name });
  return `<form method="post" action="/admin/branding">${csrfField(csrf)}<input type="hidden" name="lang" value="${l.tag}">
<fieldset><legend>${legend}</legend>
<p><label for="${id('name')}">${t.html('staff.brand.name')}</label><input id="${id('name')}" name="name" maxlength="80" lang="${l.tag}" dir="auto" value="${escapeHtml(b.name)}"></p>
<p><label for="${id('tab')}">${t.html('staff.brand.tabTitle')} <span class="hint">${t.html('staff.brand.tabTitleHint')}</span></label><input id="${id('tab')}" name="tabTitle" maxlength="40" lang="${l.tag}" dir="auto" value="${escapeHtml(b.tabTitle ?? '')}"></p>
<p><label for="${id('welcome')}">${t.html('staff.brand.welcome')}</label><textarea id="${id('welcome')}" name="welcome" rows="4" maxlength="2000" lang="${l.tag}" dir="auto">${escapeHtml(b.welcome)}</textarea></p>
<p><label for="${id('guidelines')}">${t.html('staff.brand.guidelines')}</label><textarea id="${id('guidelines')}" name="guidelines" rows="6" maxlength="4000" lang="${l.tag}" dir="auto">${escapeHtml(b.guidelines)}</textarea></p>
<p><button type="submit"${first ? '' : ` id="brand-save-${l.tag}"`}>${t.html('staff.brand.save')}</button></p>
</fieldset>
</form>`;
}

// Removing the logo is the one destructive button here: styled so, below the upload.
function logoForms(t: Translator, b: BrandingView, csrf: string): string {
  const current = b.logo
    ? `<p><img class="newsroom-logo" src="/admin/branding/logo" alt="${escapeHtml(t.text('staff.brand.currentLogo'))}"></p>
<form method="post" action="/admin/branding/logo/remove" class="danger-zone">${csrfField(csrf)}<button type="submit" class="danger">${t.html('staff.brand.removeLogo')}</button></form>`
    : '';
  return `<form method="post" action="/admin/branding/logo?csrf=${encodeURIComponent(csrf)}" enctype="multipart/form-data">
<p><label for="brand-logo">${t.html('staff.brand.logo')}</label>
<input type="file" id="brand-logo" name="logo" accept="image/png,image/jpeg" required></p>
<p><button type="submit">${t.html('staff.brand.upload')}</button></p>
</form>
${current}`;
}

export function renderBranding({ t, viewer, branding: b }: { t: Translator; viewer: Viewer; branding: BrandingView }): string {
  const empty = { name: '', welcome: '', guidelines: '' };
  return adminPage(t, viewer, 'branding', `<p>${t.html('staff.brand.intro')}</p>
${LANGUAGES.map((l) => textsForm(t, l, b.texts[l.tag] ?? empty, viewer.csrf)).join('\n')}
${logoForms(t, b, viewer.csrf)}`);
}
