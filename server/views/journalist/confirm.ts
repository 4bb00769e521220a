import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';

/**
 * One thing that goes. A source line carries the label's ciphertext: the page writes the
 * decrypted label into its `.source-label` once a key is unlocked (the server never reads it).
 */
export type ConfirmLine = { text: string } | { source: { id: string; designation: string; label: string | null; items: number } };

export type Confirmation = {
  t: Translator;
  viewer: Viewer;
  /** Already in the reader's language (plain text). */
  title: string;
  /** What goes, one line each (designations, a journalist's name, ...). */
  lines: ConfirmLine[];
  /** What it means (plain text), e.g. that it cannot be undone. */
  warning: string;
  action: string;
  /** Hidden form fields besides the CSRF token (a name may repeat: `ids`). */
  hidden?: [string, string][];
  /** The destructive button's words (plain text). */
  confirm: string;
  /** Where Cancel leads: where the journalist was (a path this app serves, checked by the caller). */
  cancel: string;
};

function line(t: Translator, l: ConfirmLine): string {
  if ('text' in l) return `<li>${escapeHtml(l.text)}</li>`;
  const s = l.source;
  return `<li class="confirm-source" data-source="${escapeHtml(s.id)}" data-label="${escapeHtml(s.label ?? '')}"><span class="source-label" dir="auto"></span><span class="designation">${escapeHtml(s.designation)}</span> · <span class="items">${t.html('staff.confirm.items', { count: s.items })}</span></li>`;
}

/**
 * Asks once before anything that cannot be undone, naming exactly what goes. The destructive
 * button stands apart from Cancel (its own row, styled `.danger`) so neither is hit for the other.
 */
export function renderConfirmation(c: Confirmation): string {
  const { t } = c;
  const hidden = (c.hidden ?? []).map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`).join('');
  return staffPage(
    t,
    c.title,
    `<h1>${escapeHtml(c.title)}</h1>
<ul class="confirm-lines">${c.lines.map((l) => line(t, l)).join('\n')}</ul>
<p class="warning">${escapeHtml(c.warning)}</p>
<form method="post" action="${escapeHtml(c.action)}" class="confirmation">${csrfField(c.viewer.csrf)}${hidden}
<p class="confirm-cancel"><a href="${escapeHtml(c.cancel)}" id="cancel">${t.html('staff.confirm.no')}</a></p>
<p class="confirm-danger"><button type="submit" id="confirm" class="danger">${escapeHtml(c.confirm)}</button></p>
</form>`,
    c.viewer,
  );
}
