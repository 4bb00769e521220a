import { MANIFEST_FILE, partFileName } from '../../../common/export-layout.ts';
import type { InboxSource } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';

const KEY_PANEL = `<section id="key-panel" class="panel">
<h2>Your private key</h2>
<p>Decryption happens in this page. Your key file and passphrase stay in this tab's memory only and are gone
when you log out or close the tab; nothing about them is sent to the server.</p>
<p><label for="key-file">Private key file (.asc)</label><input type="file" id="key-file" accept=".asc,.gpg,.pgp,.key,text/plain"></p>
<p><label for="key-passphrase">Key passphrase</label><input type="password" id="key-passphrase" autocomplete="off"></p>
<p><button type="button" id="load-key">Unlock key</button> <span id="key-status" role="status"></span></p>
</section>`;

export function formatSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

function submissionRow(s: InboxSource['submissions'][number]): string {
  const id = escapeHtml(s.id);
  const objects = [`<a href="/submissions/${id}/${MANIFEST_FILE}" download>${MANIFEST_FILE}</a>`];
  for (let n = 1; n <= s.partCount; n++) {
    const name = partFileName(n);
    objects.push(`<a href="/submissions/${id}/${name}" download>${name}</a>`);
  }
  return `<li class="submission${s.seen ? '' : ' unread'}" data-submission="${id}" data-parts="${s.partCount}">
<span class="item">Encrypted item</span> · <span class="state">${s.seen ? 'read' : 'unread'}</span> · received ${escapeHtml(s.createdDay)} · ${formatSize(s.size)} encrypted · ${s.partCount} part(s)
<button type="button" class="open" data-submission="${id}" disabled>Decrypt</button>
<a href="/submissions/${id}/delete">Delete</a>
<details><summary>Encrypted files</summary>${objects.join(' ')}</details>
<div class="opened" id="opened-${id}" role="status"></div>
</li>`;
}

function replyRow(r: InboxSource['replies'][number]): string {
  const id = escapeHtml(r.id);
  return `<li class="reply-row">Reply sent ${escapeHtml(r.createdDay)} · <span class="reply-state">${r.read ? 'read by the source' : 'not read yet'}</span>
<button type="button" class="open-reply" data-reply="${id}" disabled>Decrypt</button><div class="opened" id="opened-reply-${id}" role="status"></div></li>`;
}

function sourceSection(src: InboxSource, csrf: string): string {
  const id = escapeHtml(src.id);
  return `<section class="source${src.done ? ' done' : ''}" data-source="${id}" data-label="${escapeHtml(src.label ?? '')}">
<h2>${src.starred ? '★ ' : ''}<span class="source-label"></span>${escapeHtml(src.designation)}${src.done ? ' · done' : ''}</h2>
<form method="post" action="/sources/${id}/star" class="inline">${csrfField(csrf)}<input type="hidden" name="starred" value="${src.starred ? '0' : '1'}">
<button type="submit">${src.starred ? 'Unstar' : 'Star'}</button></form>
<form method="post" action="/sources/${id}/done" class="inline">${csrfField(csrf)}<input type="hidden" name="done" value="${src.done ? '0' : '1'}">
<button type="submit">${src.done ? 'Reopen conversation' : 'Mark conversation done'}</button></form>
<p><label for="label-${id}">Your newsroom's name for this source (encrypted in this page to every journalist's key; the server cannot read it)</label>
<input id="label-${id}" maxlength="100" autocomplete="off"> <button type="button" class="save-label" data-source="${id}">Save name</button> <span class="label-status" role="status"></span></p>
<a href="/sources/${id}/delete">Delete this source and everything they sent</a>
<ul>${src.submissions.map(submissionRow).join('\n')}</ul>
<h3>Replies</h3>
<ul class="replies">${src.replies.map(replyRow).join('\n') || '<li>No replies yet.</li>'}</ul>
<p><label for="reply-${id}">Reply to ${escapeHtml(src.designation)}</label>
<textarea id="reply-${id}" rows="4" maxlength="50000"></textarea></p>
<p><button type="button" class="send-reply" data-source="${id}">Encrypt and send reply</button> <span class="reply-status" role="status"></span></p>
<p class="hint">Replies are encrypted in this browser to the source's key and to every journalist's key.</p>
</section>`;
}

/** Free space, when it is below the floor at which new uploads are refused. */
export type DiskWarning = { freeMiB: number; floorMiB: number } | null;

function diskNotice(disk: DiskWarning): string {
  if (!disk) return '';
  return `<p class="warning" role="alert"><strong>The server is running out of space:</strong> ${disk.freeMiB} MiB free, below the ${disk.floorMiB} MiB at which new uploads are refused. Sources are told the drop cannot take files right now. Free space on the data directory's disk, or export and delete old submissions (see docs/operations.md).</p>`;
}

export function renderInbox({ sources, viewer, disk = null }: { sources: InboxSource[]; viewer: Viewer; disk?: DiskWarning }): string {
  const list = sources.length ? sources.map((src) => sourceSection(src, viewer.csrf)).join('\n') : '<p>No submissions yet.</p>';
  return staffPage('Inbox', `<h1>Inbox</h1>\n${diskNotice(disk)}${KEY_PANEL}\n<input type="hidden" id="csrf-token" value="${escapeHtml(viewer.csrf)}">\n${list}`, viewer);
}
