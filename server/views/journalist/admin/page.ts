import { escapeHtml } from '../../layout.ts';
import { staffPage, type Viewer } from '../frame.ts';
import type { Translator } from '../../../i18n/index.ts';

/** The admin area's sections, each a page of its own under /admin/<section>. */
export const ADMIN_SECTIONS = ['journalists', 'desks', 'changes', 'retention', 'branding', 'notifications', 'address', 'audit'] as const;
export type AdminSection = (typeof ADMIN_SECTIONS)[number];

// Each section's page heading, and its shorter name in the nav.
const HEADINGS: Record<AdminSection, string> = {
  journalists: 'staff.admin.title',
  desks: 'staff.desks.heading',
  changes: 'staff.changes.heading',
  retention: 'staff.retention.heading',
  branding: 'staff.brand.heading',
  notifications: 'staff.admin.notify.heading',
  address: 'staff.onion.heading',
  audit: 'staff.audit.heading',
};
const NAMES: Record<AdminSection, string> = {
  journalists: 'staff.admin.nav.journalists',
  desks: 'staff.desks.nav',
  changes: 'staff.changes.nav',
  retention: 'staff.admin.nav.retention',
  branding: 'staff.admin.nav.branding',
  notifications: 'staff.admin.nav.notifications',
  address: 'staff.admin.nav.address',
  audit: 'staff.audit.nav',
};

/** The sections as a list of links that wraps at a phone's width; the current one is marked for screen readers. */
function sectionNav(t: Translator, current: AdminSection): string {
  const links = ADMIN_SECTIONS.map((s) => {
    const mark = s === current ? ' aria-current="page"' : '';
    return `<li><a href="/admin/${s}"${mark}>${t.html(NAMES[s])}</a></li>`;
  });
  return `<nav class="admin-sections" aria-label="${escapeHtml(t.text('staff.admin.nav.label'))}"><ul>${links.join('')}</ul></nav>`;
}

// With fewer than two active administrators, changes to who can read what apply at once: said on every admin page.
const fewAdmins = (t: Translator, viewer: Viewer) => (viewer.fewAdmins ? `\n<p class="warning" id="two-person-warning">${t.html('staff.changes.oneAdmin')}</p>` : '');

/** One admin section: the section nav, its heading, then its own content. */
export function adminPage(t: Translator, viewer: Viewer, section: AdminSection, body: string): string {
  const title = t.text(HEADINGS[section]);
  return staffPage(t, title, `${sectionNav(t, section)}
<h1>${escapeHtml(title)}</h1>${fewAdmins(t, viewer)}
${body}`, viewer);
}
