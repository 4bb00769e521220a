import { escapeHtml } from './escape.ts';
import { deskText, type Desk } from '../store/desks.ts';
import type { Translator } from '../i18n/index.ts';

/** A desk a source may choose: its id (the radio's value) and its texts (its slug where it has none). */
export type DeskChoice = Desk & {
  /** Listed even alone: two or more desks exist, so the source chooses (server/sources/desks.ts chosenDesk). */
  ask?: boolean;
};

function option(t: Translator, desk: DeskChoice, prefix: string, checked: string | undefined): string {
  const { name, description } = deskText(desk, t.tag);
  const id = `${prefix}-${desk.id}`;
  const about = description ? ` aria-describedby="${id}-about"` : '';
  const on = String(desk.id) === checked ? ' checked' : '';
  const hint = description ? `<span class="hint" id="${id}-about" dir="auto">${escapeHtml(description)}</span>` : '';
  return `<p class="desk-option"><input type="radio" id="${id}" name="desk" value="${desk.id}" required${about}${on}> <label for="${id}" dir="auto">${escapeHtml(name)}</label>${hint}</p>`;
}

/**
 * Who reads what the source sends, chosen before anything else in the form (the no-JS path reads
 * it before any file arrives; the page script reads the same radios). Only with two desks or more:
 * with one, everything goes to it and the page looks as it did before desks. `prefix` keeps the ids
 * of the codename-first form's copy apart from the send form's. `own`: undefined when nobody is
 * logged in; for a logged-in source (no JavaScript) their conversation's desk, shown chosen and
 * closed since their sends go there whatever a form says, or null (a conversation in no desk, or in
 * one not offered): no choice at all then, only a line saying who reads their sends.
 */
export function deskChoice(t: Translator, desks: readonly DeskChoice[] | undefined, prefix = 'desk', checked?: string, own?: number | null): string {
  if (!desks || (desks.length < 2 && !desks[0]?.ask)) return '';
  const fixed = own != null && desks.some((d) => d.id === own);
  if (own !== undefined && !fixed) return `<p class="hint" id="${prefix}-conversation">${t.html('source.desk.conversation')}</p>\n`;
  return `<fieldset class="desk-choice" id="${prefix}s"${fixed ? ' disabled' : ''}>
<legend>${t.html('source.desk.legend')}</legend>
<p class="hint">${t.html(fixed ? 'source.desk.fixed' : 'source.desk.hint')}</p>
${desks.map((d) => option(t, d, prefix, fixed ? String(own) : checked)).join('\n')}
</fieldset>
`;
}
