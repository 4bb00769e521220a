import type { ConversationLine, ConversationPage, ListFilter } from '../../store/index.ts';
import { LIST_FILTERS } from '../../store/index.ts';
import { escapeHtml } from '../layout.ts';
import { csrfField, staffPage, type Viewer } from './frame.ts';
import type { Translator } from '../../i18n/index.ts';

/** The list's address for a filter and page, in its one canonical form ("/" for the first page of all). */
export function listUrl(filter: ListFilter, page: number): string {
  const query = [filter === 'all' ? '' : `filter=${filter}`, page === 1 ? '' : `page=${page}`].filter(Boolean).join('&');
  return query ? `/?${query}` : '/';
}

// How much is there, as a class (never the exact size): up to 1 MB, 10 MB ... 10 GB, or more.
const CLASSES: [number, string][] = [[1e6, '1 MB'], [1e7, '10 MB'], [1e8, '100 MB'], [1e9, '1 GB'], [1e10, '10 GB']];
export function sizeClass(t: Translator, bytes: number): string {
  const upTo = CLASSES.find(([limit]) => bytes <= limit);
  return upTo ? t.html('staff.list.sizeUpTo', { size: upTo[1] }) : t.html('staff.list.sizeOver', { size: '10 GB' });
}

function line(t: Translator, c: ConversationLine): string {
  const id = escapeHtml(c.id);
  const designation = escapeHtml(c.designation);
  const facts = [
    c.unread ? `<strong class="unread-count">${t.html('staff.list.unread', { count: c.unread })}</strong>` : '',
    `<span class="state">${t.html(c.done ? 'staff.list.done' : 'staff.list.open')}</span>`,
    `<span class="last">${t.html('staff.list.last', { day: c.lastDay })}</span>`,
    `<span class="amount">${t.html('staff.confirm.items', { count: c.items })} · ${sizeClass(t, c.bytes)}</span>`,
  ].filter(Boolean);
  return `<li class="conversation${c.unread ? ' unread' : ''}${c.done ? ' is-done' : ''}" data-source="${id}" data-label="${escapeHtml(c.label ?? '')}">
<label class="pick"><input type="checkbox" name="ids" value="${id}" class="select"><span class="sr-only">${t.html('staff.list.select', { designation: c.designation })}</span></label>
${c.starred ? `<span class="star" title="${escapeHtml(t.text('staff.list.starred'))}">★<span class="sr-only">${t.html('staff.list.starred')}</span></span> ` : ''}<span class="source-label" dir="auto"></span><a href="/conversations/${id}" class="designation">${designation}</a>
<p class="facts">${facts.join(' · ')}</p>
</li>`;
}

// Catalog keys are written out whole, so a search (and the catalog test) finds every one.
const FILTER_NAMES: Record<ListFilter, string> = { all: 'staff.list.filter.all', unread: 'staff.list.filter.unread', starred: 'staff.list.filter.starred', open: 'staff.list.filter.open', done: 'staff.list.filter.done' };
const EMPTY: Record<ListFilter, string> = { all: 'staff.list.empty.all', unread: 'staff.list.empty.unread', starred: 'staff.list.empty.starred', open: 'staff.list.empty.open', done: 'staff.list.empty.done' };

function filters(t: Translator, current: ListFilter): string {
  const links = LIST_FILTERS.map((f) => `<li><a href="${listUrl(f, 1)}"${f === current ? ' aria-current="page"' : ''}>${t.html(FILTER_NAMES[f])}</a></li>`);
  return `<nav class="list-filters" aria-label="${escapeHtml(t.text('staff.list.filters'))}"><ul>${links.join('')}</ul></nav>`;
}

function pager(t: Translator, filter: ListFilter, list: ConversationPage): string {
  if (list.pages <= 1) return '';
  const prev = list.page > 1 ? `<a href="${listUrl(filter, list.page - 1)}" rel="prev">${t.html('staff.list.prev')}</a>` : '';
  const next = list.page < list.pages ? `<a href="${listUrl(filter, list.page + 1)}" rel="next">${t.html('staff.list.next')}</a>` : '';
  return `<nav class="pager" aria-label="${escapeHtml(t.text('staff.list.pages'))}">${prev} <span>${t.html('staff.list.pageOf', { page: list.page, pages: list.pages })}</span> ${next}</nav>`;
}

const BUTTONS: [string, string][] = [
  ['star', 'staff.list.bulk.star'],
  ['unstar', 'staff.list.bulk.unstar'],
  ['done', 'staff.list.bulk.done'],
  ['reopen', 'staff.list.bulk.reopen'],
  ['read', 'staff.list.bulk.read'],
  ['unread', 'staff.list.bulk.unread'],
];

function bulkForm(t: Translator, viewer: Viewer, here: string, list: ConversationPage): string {
  const buttons = BUTTONS.map(([a, key]) => `<button type="submit" name="action" value="${a}" class="bulk-action">${t.html(key)}</button>`).join(' ');
  return `<form method="post" action="/conversations/bulk" id="bulk">${csrfField(viewer.csrf)}<input type="hidden" name="return" value="${escapeHtml(here)}">
<p class="select-all" hidden><label><input type="checkbox" id="select-all"> ${t.html('staff.list.selectAll')}</label></p>
<ol class="conversations">${list.lines.map((c) => line(t, c)).join('\n')}</ol>
<fieldset class="bulk-actions"><legend>${t.html('staff.list.bulk.legend')}</legend>${buttons}
<p class="bulk-delete"><button type="submit" name="action" value="delete" class="bulk-action">${t.html('staff.list.bulk.delete')}</button></p></fieldset>
</form>`;
}

// The label filter works in the page once a key is unlocked (client/journalist/list.ts): hidden until then.
const labelFilter = (t: Translator) => `<div id="label-search" hidden><p><label for="label-filter">${t.html('staff.list.labelFilter')}</label>
<input type="search" id="label-filter" autocomplete="off" dir="auto"></p>
<p id="label-count" role="status"></p>
<ul id="label-matches"></ul></div>`;

/** Free space, when it is below the floor at which new uploads are refused. */
export type DiskWarning = { freeMiB: number; floorMiB: number } | null;

const diskNotice = (t: Translator, disk: DiskWarning) => (disk ? `<p class="warning" role="alert">${t.html('staff.disk', { free: disk.freeMiB, floor: disk.floorMiB })}</p>` : '');

export function renderInbox({ t, list, filter, viewer, disk = null }: { t: Translator; list: ConversationPage; filter: ListFilter; viewer: Viewer; disk?: DiskWarning }): string {
  const body = list.lines.length
    ? `<p class="list-count">${t.html('staff.list.count', { count: list.total })}</p>\n${bulkForm(t, viewer, listUrl(filter, list.page), list)}\n${pager(t, filter, list)}`
    : `<p class="list-empty">${t.html(EMPTY[filter])}</p>`;
  return staffPage(t, t.text('staff.inbox.title'), `<h1>${t.html('staff.inbox.title')}</h1>\n${diskNotice(t, disk)}${filters(t, filter)}\n${labelFilter(t)}\n${body}`, viewer);
}
