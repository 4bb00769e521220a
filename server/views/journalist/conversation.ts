import { MANIFEST_FILE, partFileName } from '../../../common/export-layout.ts';
import { formatSize } from '../../../common/sizes.ts';
import type { SealedKey, Thread, ThreadItem, ThreadReply } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';

// One conversation: the source's items and the newsroom's replies in one thread. What an item is
// (a message or a file, its name and type) is only known once its manifest is decrypted in the
// journalist's page (client/journalist/conversation.ts); until then it is "Item N".

/** `whole`: the viewer reads the whole conversation (its desk's member); one shown only shared items gets no controls that act on it (the server answers them 404). */
type Ctx = { t: Translator; csrf: string; here: string; whole: boolean };

const hidden = (name: string, value: string) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;

// A fingerprint's last eight digits, as two groups of four: enough to tell one person's keys apart.
const shortFingerprint = (fp: string): string => `${fp.slice(-8, -4)} ${fp.slice(-4)}`;

// The same order everywhere: the source, the reader's own keys, colleagues by name, then former colleagues.
const RANK: Record<SealedKey['kind'], number> = { source: 0, mine: 1, 'mine-old': 2, colleague: 3, former: 4 };
const byRank = (a: SealedKey, b: SealedKey): number =>
  RANK[a.kind] - RANK[b.kind] || (a.kind === 'colleague' && b.kind === 'colleague' ? a.username.localeCompare(b.username) : 0);

/** Which keys open an item or a reply, so nobody has to guess which key to load. */
function sealedLine(t: Translator, keys: SealedKey[]): string {
  const named = [...keys].sort(byRank).map((k) => {
    if (k.kind === 'mine') return t.html('staff.sealed.mine');
    if (k.kind === 'mine-old') return t.html('staff.sealed.mineOld', { fingerprint: shortFingerprint(k.fingerprint) });
    if (k.kind === 'colleague') return t.html('staff.sealed.colleague', { username: k.username, fingerprint: shortFingerprint(k.fingerprint) });
    return t.html(k.kind === 'source' ? 'staff.sealed.source' : 'staff.sealed.former');
  });
  // A former colleague named once, however many of their keys.
  const shown = [...new Set(named)];
  return `<p class="sealed-to">${t.html('staff.sealed.heading')} ${shown.length ? shown.map((n) => `<span>${n}</span>`).join(', ') : t.html('staff.sealed.unknown')}</p>`;
}

function itemRow({ t, csrf, here, whole }: Ctx, s: ThreadItem, n: number): string {
  const id = escapeHtml(s.id);
  const objects = [MANIFEST_FILE, ...Array.from({ length: s.partCount }, (_, i) => partFileName(i + 1))].map((name) => `<a href="/submissions/${id}/${name}" download>${name}</a>`);
  return `<li class="submission${s.seen ? '' : ' unread'}" data-submission="${id}" data-parts="${s.partCount}">
<p class="entry-head"><span class="item">${t.html('staff.conv.item', { n })}</span> · ${escapeHtml(s.createdDay)} · ${escapeHtml(formatSize(s.size))} · <span class="state">${t.html(s.seen ? 'staff.item.read' : 'staff.item.unread')}</span></p>
<p class="entry-actions"><button type="button" class="open" data-submission="${id}" disabled>${t.html('staff.decrypt')}</button>
<form method="post" action="/submissions/${id}/unseen" class="inline mark-unread"${s.seen ? '' : ' hidden'}>${csrfField(csrf)}${hidden('return', here)}<button type="submit">${t.html('staff.conv.markUnread')}</button></form>
${whole ? `<a href="/submissions/${id}/delete">${t.html('staff.item.delete')}</a>` : ''}</p>
${sealedLine(t, s.sealedTo)}
<details><summary>${t.html('staff.item.files')}</summary>${objects.join(' ')}</details>
<div class="opened" id="opened-${id}" role="status"></div>
</li>`;
}

function replyRow({ t }: Ctx, r: ThreadReply): string {
  const id = escapeHtml(r.id);
  const by = r.author === null ? t.html('staff.conv.replyFormer', { day: r.createdDay }) : t.html('staff.conv.replyBy', { author: r.author, day: r.createdDay });
  return `<li class="reply-row" data-reply="${id}">
<p class="entry-head"><span class="reply-by">${by}</span> · <span class="reply-state">${t.html(r.read ? 'staff.reply.read' : 'staff.reply.unread')}</span></p>
<p class="entry-actions"><button type="button" class="open-reply" data-reply="${id}" disabled>${t.html('staff.conv.showReply')}</button></p>
${sealedLine(t, r.sealedTo)}
<div class="opened" id="opened-reply-${id}" role="status"></div>
</li>`;
}

function header({ t, csrf, here, whole }: Ctx, c: Thread): string {
  const id = escapeHtml(c.id);
  const toggle = (what: 'star' | 'done', field: string, on: boolean, label: string) =>
    `<form method="post" action="/sources/${id}/${what}" class="inline">${csrfField(csrf)}${hidden(field, on ? '0' : '1')}${hidden('return', here)}<button type="submit">${t.html(label)}</button></form>`;
  const actions = `<p class="conversation-actions">${toggle('star', 'starred', c.starred, c.starred ? 'staff.source.unstar' : 'staff.source.star')}
${toggle('done', 'done', c.done, c.done ? 'staff.source.reopen' : 'staff.source.markDone')}</p>
<p><label for="label-${id}">${t.html('staff.source.label')}</label>
<input id="label-${id}" maxlength="100" autocomplete="off" dir="auto"> <button type="button" class="save-label" data-source="${id}">${t.html('staff.source.saveLabel')}</button> <span class="label-status" role="status"></span></p>
<p><a href="/sources/${id}/delete">${t.html('staff.source.delete')}</a></p>
`;
  return `<header class="conversation-head" data-source="${id}" data-label="${escapeHtml(c.label ?? '')}">
<p><a href="/">${t.html('staff.conv.back')}</a></p>
<h1>${c.starred ? `<span class="star">★</span> ` : ''}<span class="source-label"></span>${escapeHtml(c.designation)}${c.done ? ` · ${t.html('staff.source.done')}` : ''}</h1>
${whole ? actions : ''}</header>`;
}

function replyBox({ t }: Ctx, c: Thread): string {
  const id = escapeHtml(c.id);
  return `<section class="reply-box" aria-labelledby="reply-heading-${id}">
<h2 id="reply-heading-${id}">${t.html('staff.reply.to', { designation: c.designation })}</h2>
<p><label for="reply-${id}">${t.html('staff.conv.replyText')}</label>
<textarea id="reply-${id}" rows="4" maxlength="50000" dir="auto"></textarea></p>
<p><button type="button" class="send-reply" data-source="${id}">${t.html('staff.reply.send')}</button> <span class="reply-status" role="status"></span></p>
<p class="hint">${t.html('staff.reply.how')}</p>
</section>`;
}

export function renderConversation({ t, conversation: c, viewer, whole = true }: { t: Translator; conversation: Thread; viewer: Viewer; whole?: boolean }): string {
  const ctx: Ctx = { t, csrf: viewer.csrf, here: `/conversations/${c.id}`, whole };
  let n = 0;
  const entries = c.entries.map((e) => (e.kind === 'item' ? itemRow(ctx, e, ++n) : replyRow(ctx, e)));
  // The list is there even when empty: a reply sent from this page is added to it at once.
  const empty = entries.length ? '' : `<p class="thread-empty">${t.html('staff.conv.empty')}</p>\n`;
  const thread = `${empty}<ol class="thread" data-author="${escapeHtml(viewer.username)}">\n${entries.join('\n')}\n</ol>`;
  const body = `<article class="conversation" data-source="${escapeHtml(c.id)}">
${header(ctx, c)}
<h2>${t.html('staff.conv.thread')}</h2>
${thread}
${whole ? replyBox(ctx, c) : ''}
</article>`;
  return staffPage(t, t.text('staff.conv.title', { designation: c.designation }), body, viewer);
}
