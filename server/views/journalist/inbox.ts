import { MANIFEST_FILE, partFileName } from '../../../common/export-layout.ts';
import type { InboxSource } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';


export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

const submissionRow = (t: Translator) => (s: InboxSource['submissions'][number]): string => {
  const id = escapeHtml(s.id);
  const objects = [`<a href="/submissions/${id}/${MANIFEST_FILE}" download>${MANIFEST_FILE}</a>`];
  for (let n = 1; n <= s.partCount; n++) {
    const name = partFileName(n);
    objects.push(`<a href="/submissions/${id}/${name}" download>${name}</a>`);
  }
  return `<li class="submission${s.seen ? '' : ' unread'}" data-submission="${id}" data-parts="${s.partCount}">
<span class="item">${t.html('staff.item')}</span> · <span class="state">${t.html(s.seen ? 'staff.item.read' : 'staff.item.unread')}</span> · ${t.html('staff.item.details', { day: s.createdDay, size: formatSize(s.size), parts: s.partCount })}
<button type="button" class="open" data-submission="${id}" disabled>${t.html('staff.decrypt')}</button>
<a href="/submissions/${id}/delete">${t.html('staff.item.delete')}</a>
<details><summary>${t.html('staff.item.files')}</summary>${objects.join(' ')}</details>
<div class="opened" id="opened-${id}" role="status"></div>
</li>`;
};

const replyRow = (t: Translator) => (r: InboxSource['replies'][number]): string => {
  const id = escapeHtml(r.id);
  return `<li class="reply-row">${t.html('staff.reply.sent', { day: r.createdDay })} · <span class="reply-state">${t.html(r.read ? 'staff.reply.read' : 'staff.reply.unread')}</span>
<button type="button" class="open-reply" data-reply="${id}" disabled>${t.html('staff.decrypt')}</button><div class="opened" id="opened-reply-${id}" role="status"></div></li>`;
};

function sourceSection(t: Translator, src: InboxSource, csrf: string): string {
  const id = escapeHtml(src.id);
  return `<section class="source${src.done ? ' done' : ''}" data-source="${id}" data-label="${escapeHtml(src.label ?? '')}">
<h2>${src.starred ? '★ ' : ''}<span class="source-label"></span>${escapeHtml(src.designation)}${src.done ? ` · ${t.html('staff.source.done')}` : ''}</h2>
<form method="post" action="/sources/${id}/star" class="inline">${csrfField(csrf)}<input type="hidden" name="starred" value="${src.starred ? '0' : '1'}">
<button type="submit">${t.html(src.starred ? 'staff.source.unstar' : 'staff.source.star')}</button></form>
<form method="post" action="/sources/${id}/done" class="inline">${csrfField(csrf)}<input type="hidden" name="done" value="${src.done ? '0' : '1'}">
<button type="submit">${t.html(src.done ? 'staff.source.reopen' : 'staff.source.markDone')}</button></form>
<p><label for="label-${id}">${t.html('staff.source.label')}</label>
<input id="label-${id}" maxlength="100" autocomplete="off" dir="auto"> <button type="button" class="save-label" data-source="${id}">${t.html('staff.source.saveLabel')}</button> <span class="label-status" role="status"></span></p>
<a href="/sources/${id}/delete">${t.html('staff.source.delete')}</a>
<ul>${src.submissions.map(submissionRow(t)).join('\n')}</ul>
<h3>${t.html('staff.replies')}</h3>
<ul class="replies">${src.replies.map(replyRow(t)).join('\n') || `<li>${t.html('staff.replies.none')}</li>`}</ul>
<p><label for="reply-${id}">${t.html('staff.reply.to', { designation: src.designation })}</label>
<textarea id="reply-${id}" rows="4" maxlength="50000" dir="auto"></textarea></p>
<p><button type="button" class="send-reply" data-source="${id}">${t.html('staff.reply.send')}</button> <span class="reply-status" role="status"></span></p>
<p class="hint">${t.html('staff.reply.how')}</p>
</section>`;
}

/** Free space, when it is below the floor at which new uploads are refused. */
export type DiskWarning = { freeMiB: number; floorMiB: number } | null;

function diskNotice(t: Translator, disk: DiskWarning): string {
  if (!disk) return '';
  return `<p class="warning" role="alert">${t.html('staff.disk', { free: disk.freeMiB, floor: disk.floorMiB })}</p>`;
}

export function renderInbox({ t, sources, viewer, disk = null }: { t: Translator; sources: InboxSource[]; viewer: Viewer; disk?: DiskWarning }): string {
  const list = sources.length ? sources.map((src) => sourceSection(t, src, viewer.csrf)).join('\n') : `<p>${t.html('staff.inbox.empty')}</p>`;
  return staffPage(t, t.text('staff.inbox.title'), `<h1>${t.html('staff.inbox.title')}</h1>\n${diskNotice(t, disk)}${list}`, viewer);
}
