import { fetchPage, type FetchedPage } from '../api/journalist.ts';
import { t } from '../i18n.ts';
import { lock } from './key.ts';
import { shellForm, shellLink } from './shell-rules.ts';

// Client navigation in the workspace: a link or form inside a staff page is fetched and only
// #workspace (with the notice and the title) is replaced, so this page, and the key unlocked in
// its memory (key.ts), stays. Every page still works as a plain full page; an answer that is not
// a staff page (the login page once a session ended, a file) is left to the browser.

type Shown = { shell: true; scroll: number };

let busy = false; // a form being sent: a second submit is ignored until it is answered
let latest = 0; // only the newest load may swap (a later click wins over an earlier one)

const parse = (html: string) => new DOMParser().parseFromString(html, 'text/html');

/** Puts the fetched page's workspace, notice and title in place of ours; false if it is not a staff page. */
function swap(page: FetchedPage): boolean {
  if (page.html === null) return false;
  const doc = parse(page.html);
  const next = doc.getElementById('workspace');
  const current = document.getElementById('workspace');
  if (!next || !current || doc.documentElement.lang !== document.documentElement.lang) return false;
  const root = document.importNode(next, true);
  current.replaceWith(root);
  document.getElementById('notice-area')?.replaceChildren(...[...(doc.getElementById('notice-area')?.childNodes ?? [])].map((n) => document.importNode(n, true)));
  document.title = doc.title;
  // The language switch follows the page: absent where a one-time secret is shown, so nobody reloads it away.
  document.querySelector('body > nav.languages')?.remove();
  const languages = doc.querySelector('body > nav.languages');
  if (languages) document.body.prepend(document.importNode(languages, true));
  document.dispatchEvent(new CustomEvent('workspace:swap', { detail: { root } }));
  return true;
}

/** After a swap: the top of the new page, its heading focused so a screen reader reads where it is. */
function arrive(scroll: number): void {
  window.scrollTo(0, scroll);
  const heading = document.querySelector<HTMLElement>('#workspace h1');
  if (!heading) return;
  heading.tabIndex = -1;
  heading.focus({ preventScroll: true });
}

/** Something went wrong on the way (no answer at all): said where notices appear, nothing else changes. */
function unreachable(error: Error): void {
  const p = document.createElement('p');
  p.className = 'notice warning';
  p.setAttribute('role', 'alert');
  p.textContent = t('staff.script.unreachable', { reason: error.message });
  document.getElementById('notice-area')?.replaceChildren(p);
}

/** Not a staff page: the browser takes over (after a POST, a GET of where the server sent us, never the POST again). */
function leave(page: FetchedPage, post: boolean): void {
  if (!post || page.redirected) return void location.assign(page.url);
  // A refused POST answered with a page that is not ours (logged out meanwhile): show it as it is.
  lock();
  document.documentElement.replaceWith(document.importNode(parse(page.html ?? '').documentElement, true));
}

async function go(url: URL, body?: URLSearchParams, history: 'push' | 'none' = 'push', scroll = 0): Promise<void> {
  const id = ++latest;
  const workspace = document.getElementById('workspace');
  workspace?.setAttribute('aria-busy', 'true');
  try {
    const page = await fetchPage(url.href, body);
    if (id !== latest) return;
    const from = location.href;
    if (!swap(page)) return leave(page, body !== undefined);
    // Back/Forward return to each page; a form that lands where it was sent from (star, done) replaces it.
    if (history === 'push' && page.url !== from) window.history.pushState({ shell: true, scroll: 0 } satisfies Shown, '', page.url);
    else if (history === 'push') window.history.replaceState({ shell: true, scroll: 0 } satisfies Shown, '', page.url);
    arrive(scroll);
  } catch (error) {
    if (id === latest) unreachable(error as Error);
  } finally {
    workspace?.removeAttribute('aria-busy');
  }
}

/** Remembers where this page was scrolled to, for Back. */
const keepScroll = () => window.history.replaceState({ shell: true, scroll: window.scrollY } satisfies Shown, '', location.href);

let wired = false;

/** Document-wide listeners, once: clicks and submits anywhere, and Back/Forward. */
export function wireShell(_root: ParentNode = document): void {
  if (wired || !document.getElementById('workspace')) return;
  wired = true;
  window.history.scrollRestoration = 'manual';
  keepScroll();
  document.addEventListener('click', (event) => {
    const url = shellLink(event);
    if (!url) return;
    event.preventDefault();
    keepScroll();
    void go(url);
  });
  document.addEventListener('submit', (event) => {
    const sent = shellForm(event);
    if (!sent) return;
    event.preventDefault();
    if (busy) return;
    busy = true;
    keepScroll();
    void go(sent.url, sent.body).finally(() => (busy = false));
  });
  window.addEventListener('popstate', (event) => {
    const state = event.state as Shown | null;
    if (!state?.shell) return;
    void go(new URL(location.href), undefined, 'none', state.scroll);
  });
}
