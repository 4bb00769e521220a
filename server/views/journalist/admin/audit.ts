import { escapeHtml } from '../../layout.ts';
import type { Viewer } from '../frame.ts';
import { adminPage } from './page.ts';
import { describeAction, describeActor, describeDetail, describeTime } from '../../../audit/describe.ts';
import type { Translator } from '../../../i18n/index.ts';
import type { AuditBreak, AuditEntry } from '../../../store/index.ts';

/** One page of the audit log: the chain as checked now, and up to a page of entries, newest first. */
export type AuditView = {
  head: { seq: number; hash: string };
  count: number;
  broken: AuditBreak | null;
  entries: AuditEntry[];
  /** The `before` of the next (older) page, or null on the last one. */
  older: number | null;
  /** Whether this is not the first (newest) page. */
  paged: boolean;
};

function chainStatus(t: Translator, v: AuditView): string {
  const status = v.broken
    ? `<p id="audit-status" class="warning" role="alert">${t.html('staff.audit.broken', { seq: v.broken.seq, why: v.broken.why })}</p>`
    : `<p id="audit-status" class="notice">${t.html('staff.audit.intact', { count: v.count })}</p>`;
  return `${status}
<p id="audit-head">${t.html('staff.audit.head', { seq: v.head.seq })} <code class="fingerprint">${escapeHtml(v.head.hash)}</code></p>`;
}

function entry(t: Translator, e: AuditEntry): string {
  const when = describeTime(e.at);
  const details = describeDetail(t, e).map((d) => `<li>${escapeHtml(d.label)}: <bdi>${escapeHtml(d.value)}</bdi></li>`).join('');
  return `<li class="audit-entry" id="audit-${e.seq}"><p><strong>#${e.seq}</strong> <time datetime="${escapeHtml(when.datetime)}">${escapeHtml(when.shown)}</time> · <bdi class="audit-actor">${escapeHtml(describeActor(t, e.actor))}</bdi> · <span class="audit-action">${escapeHtml(describeAction(t, e.action))}</span></p>${details ? `\n<ul class="audit-detail">${details}</ul>` : ''}</li>`;
}

export function renderAudit({ t, viewer, audit: v }: { t: Translator; viewer: Viewer; audit: AuditView }): string {
  const list = v.entries.length ? `<ul class="audit-log">\n${v.entries.map((e) => entry(t, e)).join('\n')}\n</ul>` : `<p id="audit-empty">${t.html('staff.audit.empty')}</p>`;
  const links = [v.paged ? `<a href="/admin/audit" id="audit-newest">${t.html('staff.audit.newest')}</a>` : '', v.older !== null ? `<a href="/admin/audit?before=${v.older}" id="audit-older">${t.html('staff.audit.older')}</a>` : ''].filter(Boolean);
  return adminPage(t, viewer, 'audit', `<p>${t.html('staff.audit.intro')}</p>
${chainStatus(t, v)}
${list}${links.length ? `\n<nav aria-label="${escapeHtml(t.text('staff.audit.pages'))}"><p>${links.join(' ')}</p></nav>` : ''}`);
}
