// The frame of every source page: the newsroom's name and logo at the top, its name as the tab
// title, and for a logged-in source a way to leave. A tab title that says "secure drop" in a
// tab bar over a source's shoulder is a risk of its own, so it names only the newsroom.
import { escapeHtml, layout, type LayoutOptions } from './layout.ts';
import type { Translator } from '../i18n/index.ts';

/** The newsroom's own face (admin page), in the page's language; empty fields keep the neutral defaults. */
export type PageBranding = { name: string; welcome: string; guidelines: string; logo: boolean; tabTitle?: string };

export type SourceFrameOptions = Omit<LayoutOptions, 'tabTitle'> & {
  branding?: PageBranding;
  /** The logged-in source's form token: the page then carries the Leave button. */
  leave?: string;
};

function newsroomHeader(t: Translator, b: PageBranding | undefined): string {
  if (!b || (!b.name && !b.logo)) return '';
  const alt = b.name ? t.text('branding.logoAlt', { newsroom: b.name }) : t.text('branding.logoAltNeutral');
  const logo = b.logo ? `<img class="newsroom-logo" src="/branding/logo" alt="${escapeHtml(alt)}">` : '';
  return `<header class="newsroom">${logo}${b.name ? `<p class="newsroom-name" dir="auto">${escapeHtml(b.name)}</p>` : ''}</header>\n`;
}

/** A plain form, so it works at the Safest level too; the answer ends the session (routes/source/leave.ts). */
// `csrf` is the no-JS session's form token; a session that lives only in the page script's memory
// (JavaScript path) has none: the script adds its session token to the form when it is sent.
export const leaveForm = (t: Translator, csrf?: string) =>
  `<form class="leave" method="post" action="/leave">${csrf ? `<input type="hidden" name="csrf" value="${escapeHtml(csrf)}">` : ''}<button type="submit">${t.html('source.leave.button')}</button> <span class="hint">${t.html('source.leave.hint')}</span></form>\n`;

export function sourceLayout({ branding, leave, body, ...rest }: SourceFrameOptions): string {
  const { t } = rest;
  // The administrator's own tab word, else the newsroom's name, else a neutral word in the page's language.
  const tabTitle = branding?.tabTitle || branding?.name || t.text('source.tabTitle');
  return layout({ ...rest, tabTitle, body: `${newsroomHeader(t, branding)}${leave ? leaveForm(t, leave) : ''}${body}` });
}
