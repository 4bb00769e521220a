import { escapeHtml } from '../escape.ts';
import { staffPage, type Viewer } from './frame.ts';
import { fingerprintGroups } from './fingerprint.ts';
import type { AuditEntry } from '../../store/index.ts';
import type { Translator } from '../../i18n/index.ts';

// The kinds of access change the catalog names; an administrator's account change reads as its
// action; anything else (a kind added later) reads "other".
const KINDS = new Set(['enable', 'key', 'member', 'move', 'share', 'rotate', 'removed', 'disable', 'remove', 'demote', 'reset', 'promote', 'onion', 'enrol', 'texts']);
function kindOf(e: AuditEntry): string {
  const kind = e.action === 'access.member-removed' ? 'removed' : e.action === 'access.desk-texts' ? 'texts' : e.action === 'access.admin' ? String(e.detail.action) : e.action.replace(/^access\./, '');
  return KINDS.has(kind) ? kind : 'other';
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
/** Who acted: the detail's requester, else the entry's actor ("journalist:ana" → "ana"; "cli" stays). */
const asker = (e: AuditEntry) => str(e.detail.requestedBy) || e.actor.replace(/^journalist:/, '');

function keys(t: Translator, key: 'staff.access.added' | 'staff.access.removed', fps: string[]): string {
  if (fps.length === 0) return '';
  const items = fps.map((fp) => `<li><code class="fingerprint" dir="ltr">${escapeHtml(fingerprintGroups(fp))}</code></li>`).join('');
  return `<p>${t.html(key)}</p><ul class="access-keys">${items}</ul>`;
}

function facts(t: Translator, e: AuditEntry): string {
  const parts = [
    str(e.detail.journalist) ? t.html('staff.access.journalist', { username: str(e.detail.journalist) }) : '',
    str(e.detail.desk) ? t.html('staff.access.desk', { desk: str(e.detail.desk) }) : '',
    t.html(asker(e) === 'cli' ? 'staff.access.askedCli' : 'staff.access.asked', { username: asker(e) }),
    str(e.detail.confirmedBy) ? t.html('staff.access.confirmed', { username: str(e.detail.confirmedBy) }) : '',
  ];
  return parts.filter(Boolean).map((p) => `<li>${p}</li>`).join('');
}

/** One change; dated to the day only, whatever the entry's own stamp holds. */
function entry(t: Translator, e: AuditEntry): string {
  return `<li class="access-entry" id="access-${e.seq}">
<h2>${t.html('staff.access.kind', { kind: kindOf(e) })} <span class="day" dir="ltr">${escapeHtml(e.at.slice(0, 10))}</span></h2>
<ul class="access-facts">${facts(t, e)}</ul>
${keys(t, 'staff.access.added', list(e.detail.added))}${keys(t, 'staff.access.removed', list(e.detail.removed))}
</li>`;
}

/** GET /access: every change to who can read what, newest first, for every journalist. */
export function renderAccess({ t, viewer, entries }: { t: Translator; viewer: Viewer; entries: AuditEntry[] }): string {
  const body = entries.length ? `<ol class="access-log">\n${entries.map((e) => entry(t, e)).join('\n')}\n</ol>` : `<p>${t.html('staff.access.none')}</p>`;
  return staffPage(t, t.text('staff.access.title'), `<h1>${t.html('staff.access.title')}</h1>\n<p>${t.html('staff.access.intro')}</p>\n${body}`, viewer);
}
