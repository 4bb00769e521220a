import { csrfField, type Viewer } from '../frame.ts';
import { escapeHtml } from '../../escape.ts';
import { adminPage } from './page.ts';
import { fingerprintGroups } from '../fingerprint.ts';
import type { Translator } from '../../../i18n/index.ts';

/** One pending change as the page says it: who it concerns, which keys it adds, which desk. */
export type ChangeView = {
  id: number;
  kind: 'enable' | 'key' | 'member' | 'move' | 'admin';
  username: string;
  /** Primary-key fingerprints the change would add as readers (none for 'admin'). */
  added: string[];
  desk: string | null;
  /** For 'admin': what would happen to the administrator. */
  action: string | null;
  /** A username, or null: asked with the command line. */
  requestedBy: string | null;
  requestedDay: string;
  /** The viewer asked for it: they may withdraw it, not confirm it. */
  mine: boolean;
  /**
   * An enrolment link joins the viewer and the requester (one added the other on the web): the
   * server refuses the confirmation, so the page says why and who can, instead of a Confirm that fails.
   */
  linked: boolean;
  /** Sent with Confirm and Reject: the server refuses them if the change under this id is not this one. */
  digest: string;
};


function what(t: Translator, c: ChangeView): string {
  const v = { username: c.username, desk: c.desk ?? '', keys: c.added.map(fingerprintGroups).join(', ') };
  switch (c.kind) {
    case 'enable':
      return t.html('staff.changes.enable', v);
    case 'key':
      return t.html('staff.changes.key', v);
    case 'member':
      return t.html('staff.changes.member', v);
    case 'move':
      return t.html('staff.changes.move', v);
    case 'admin':
      return t.html('staff.changes.admin', { ...v, action: c.action ?? '' });
  }
}

function buttons(t: Translator, c: ChangeView, csrf: string): string {
  const form = (action: string, key: string, danger = false) =>
    `<form method="post" action="/admin/changes/${c.id}/${action}" class="inline">${csrfField(csrf)}<input type="hidden" name="digest" value="${escapeHtml(c.digest)}"><button type="submit"${danger ? ' class="danger"' : ''}>${t.html(key)}</button></form>`;
  // The requester cannot confirm their own change: the button is not offered (the server refuses it anyway).
  const confirm = c.mine
    ? `<span class="hint">${t.html('staff.changes.yours')}</span>`
    : c.linked
      ? `<span class="hint">${t.html('staff.changes.linked', { username: c.requestedBy ?? '' })}</span>`
      : form('confirm', 'staff.changes.confirm');
  return `<p class="journalist-actions">${confirm} ${form('reject', c.mine ? 'staff.changes.withdraw' : 'staff.changes.reject', true)}</p>`;
}

function change(t: Translator, c: ChangeView, csrf: string): string {
  const by = c.requestedBy === null ? t.html('staff.changes.byCli', { day: c.requestedDay }) : t.html('staff.changes.by', { username: c.requestedBy, day: c.requestedDay });
  return `<li class="change" id="change-${c.id}">
<p>${what(t, c)}</p>
<p class="hint">${by}</p>
${buttons(t, c, csrf)}
</li>`;
}

/** GET /admin/changes: what waits for a second administrator, each change said plainly. */
export function renderChanges({ t, viewer, changes }: { t: Translator; viewer: Viewer; changes: ChangeView[] }): string {
  const list = changes.length ? `<ul class="changes">\n${changes.map((c) => change(t, c, viewer.csrf)).join('\n')}\n</ul>` : `<p>${t.html('staff.changes.none')}</p>`;
  return adminPage(t, viewer, 'changes', `<p>${t.html('staff.changes.intro')}</p>\n${list}`);
}
