import { escapeHtml } from '../../layout.ts';
import { csrfField, type Viewer } from '../frame.ts';
import { adminPage } from './page.ts';
import { LANGUAGES, type Language } from '../../../../common/i18n/languages.ts';
import type { Translator } from '../../../i18n/index.ts';

/** A desk's words for sources, per language tag: what the administrator typed. */
export type DeskTextsView = Record<string, { name: string; description: string }>;
export type DeskPerson = { id: number; username: string };
export type DeskView = { id: number; name: string; texts: DeskTextsView; members: DeskPerson[]; pending: DeskPerson[] };
export type DesksPage = { t: Translator; viewer: Viewer; desks: DeskView[]; journalists: DeskPerson[] };

/** The slug rule (store/desks.ts checks the same): the pattern attribute lets the browser say so first. */
export const DESK_SLUG_PATTERN = '[a-z0-9][a-z0-9\\-]{0,39}';

/** One name and description per language; `prefix` keeps the ids apart on a page with many desks. */
function textFields(t: Translator, l: Language, texts: DeskTextsView, prefix: string): string {
  const v = texts[l.tag] ?? { name: '', description: '' };
  const id = (f: string) => `${prefix}-${f}-${l.tag}`;
  return `<fieldset><legend>${escapeHtml(l.name)}</legend>
<p><label for="${id('name')}">${t.html('staff.desks.name')}</label><input id="${id('name')}" name="name_${l.tag}" maxlength="80" lang="${l.tag}" dir="auto" value="${escapeHtml(v.name)}"></p>
<p><label for="${id('description')}">${t.html('staff.desks.description')}</label><textarea id="${id('description')}" name="description_${l.tag}" rows="2" maxlength="500" lang="${l.tag}" dir="auto">${escapeHtml(v.description)}</textarea></p>
</fieldset>`;
}
const allTexts = (t: Translator, texts: DeskTextsView, prefix: string) => LANGUAGES.map((l) => textFields(t, l, texts, prefix)).join('\n');

function members(t: Translator, d: DeskView, csrf: string): string {
  const removal = (m: DeskPerson) =>
    `<form method="post" action="/admin/desks/${d.id}/members" class="inline">${csrfField(csrf)}<input type="hidden" name="journalist" value="${m.id}"><input type="hidden" name="remove" value="1"><button type="submit" class="link">${t.html('staff.desks.removeMember', { username: m.username })}</button></form>`;
  const now = d.members.map((m) => `<li><bdi>${escapeHtml(m.username)}</bdi> ${removal(m)}</li>`);
  const waiting = d.pending.map((m) => `<li class="pending"><bdi>${escapeHtml(m.username)}</bdi>: ${t.html('staff.changes.awaiting')}</li>`);
  const list = now.length + waiting.length > 0 ? `<ul class="desk-members">${[...now, ...waiting].join('')}</ul>` : `<p>${t.html('staff.desks.noMembers')}</p>`;
  return `<h3>${t.html('staff.desks.members')}</h3>\n${list}`;
}

function addMember(t: Translator, d: DeskView, people: DeskPerson[], csrf: string): string {
  const taken = new Set([...d.members, ...d.pending].map((m) => m.id));
  const options = people.filter((p) => !taken.has(p.id)).map((p) => `<option value="${p.id}">${escapeHtml(p.username)}</option>`);
  if (options.length === 0) return '';
  return `<form method="post" action="/admin/desks/${d.id}/members">${csrfField(csrf)}
<p><label for="desk-${d.id}-add">${t.html('staff.desks.addMember')}</label><select id="desk-${d.id}-add" name="journalist">${options.join('')}</select></p>
<p><button type="submit">${t.html('staff.desks.addMemberSubmit')}</button></p></form>`;
}

function desk(t: Translator, d: DeskView, people: DeskPerson[], csrf: string): string {
  const shown = d.texts[t.tag]?.name || d.texts.en?.name || '';
  return `<li class="desk" id="desk-${d.id}">
<h2><code>${escapeHtml(d.name)}</code>${shown ? ` <bdi>${escapeHtml(shown)}</bdi>` : ''}</h2>
${members(t, d, csrf)}
${addMember(t, d, people, csrf)}
<details><summary>${t.html('staff.desks.editTexts')}</summary><form method="post" action="/admin/desks/${d.id}">${csrfField(csrf)}
${allTexts(t, d.texts, `desk-${d.id}`)}
<p><button type="submit">${t.html('staff.desks.saveTexts')}</button></p></form></details>
<form method="get" action="/admin/desks/${d.id}/delete" class="danger-zone"><button type="submit" class="danger">${t.html('staff.desks.delete')}</button></form>
</li>`;
}

const createForm = (t: Translator, csrf: string) => `<h2>${t.html('staff.desks.add')}</h2>
<form method="post" action="/admin/desks">${csrfField(csrf)}
<p><label for="new-desk">${t.html('staff.desks.slug')} <span class="hint">${t.html('staff.desks.slugHint')}</span></label><input id="new-desk" name="slug" dir="ltr" pattern="${DESK_SLUG_PATTERN}" maxlength="40" required></p>
${allTexts(t, {}, 'new-desk')}
<p><button type="submit">${t.html('staff.desks.addSubmit')}</button></p>
</form>`;

/** GET /admin/desks: every desk a block (slug, members, those awaiting confirmation, its texts), then a new one. */
export function renderDesks({ t, viewer, desks, journalists }: DesksPage): string {
  const list = desks.length ? `<ul class="desks">\n${desks.map((d) => desk(t, d, journalists, viewer.csrf)).join('\n')}\n</ul>` : `<p>${t.html('staff.desks.none')}</p>`;
  return adminPage(t, viewer, 'desks', `<p>${t.html('staff.desks.intro')}</p>
${list}
${createForm(t, viewer.csrf)}`);
}
