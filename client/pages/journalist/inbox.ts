import type { InboxSource } from '../../../server/store/index.ts';
import { escapeHtml } from '../layout.ts';
import { staffPage, type Viewer } from './frame.ts';

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
  const objects = [`<a href="/submissions/${id}/manifest.pgp" download>manifest.pgp</a>`];
  for (let n = 1; n <= s.partCount; n++) {
    const name = `part-${String(n).padStart(5, '0')}.pgp`;
    objects.push(`<a href="/submissions/${id}/${name}" download>${name}</a>`);
  }
  return `<li class="submission${s.seen ? '' : ' unread'}" data-submission="${id}" data-parts="${s.partCount}">
<span class="state">${s.seen ? 'read' : 'unread'}</span> · received ${escapeHtml(s.createdDay)} · ${formatSize(s.size)} encrypted · ${s.partCount} part(s)
<button type="button" class="open" data-submission="${id}" disabled>Decrypt</button>
<a href="/submissions/${id}/delete">Delete</a>
<details><summary>Encrypted files</summary>${objects.join(' ')}</details>
<div class="opened" id="opened-${id}" role="status"></div>
</li>`;
}

export function renderInbox({ sources, viewer }: { sources: InboxSource[]; viewer: Viewer }): string {
  const list = sources.length
    ? sources
        .map(
          (src) => `<section class="source">
<h2>${escapeHtml(src.designation)}</h2>
<p><a href="/sources/${escapeHtml(src.id)}/delete">Delete this source and everything they sent</a></p>
<ul>${src.submissions.map(submissionRow).join('\n')}</ul>
</section>`,
        )
        .join('\n')
    : '<p>No submissions yet.</p>';
  return staffPage('Inbox', `<h1>Inbox</h1>\n${KEY_PANEL}\n<input type="hidden" id="csrf-token" value="${escapeHtml(viewer.csrf)}">\n${list}`, viewer);
}
