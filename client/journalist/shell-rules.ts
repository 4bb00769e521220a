// Which clicks and submits the workspace shell (shell.ts) takes over, and which it leaves to the
// browser. Left alone: anything that is not a staff page (a file, a download, an encrypted reply),
// anything that must load the page afresh (the language switch, logging out, an upload), and
// anything marked data-full.

/** Encrypted objects and replies are fetched as files, never as pages. */
function isFileUrl(url: URL): boolean {
  if (url.pathname.startsWith('/replies/') || url.pathname.startsWith('/static/')) return true;
  // /submissions/<id>/<object>: every object, but not the delete confirmation page.
  const object = /^\/submissions\/[^/]+\/([^/]+)$/.exec(url.pathname);
  return object !== null && object[1] !== 'delete';
}

const sameDocument = (url: URL) => url.pathname === location.pathname && url.search === location.search;

/** A link the shell loads itself, or null for the browser to follow. */
export function shellLink(event: MouseEvent): URL | null {
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return null;
  const a = (event.target as Element | null)?.closest?.('a[href]');
  if (!(a instanceof HTMLAnchorElement)) return null;
  if (a.hasAttribute('download') || a.closest('[data-full]') || a.closest('nav.languages') || (a.target && a.target !== '_self')) return null;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || isFileUrl(url) || url.searchParams.has('lang')) return null;
  // A link to a place on this page (#…) is the browser's to scroll to.
  if (url.hash && sameDocument(url)) return null;
  return url;
}

export type ShellForm = { url: URL; body?: URLSearchParams };

/** A form the shell sends itself (GET as a link with its fields, POST as urlencoded), or null. */
export function shellForm(event: SubmitEvent): ShellForm | null {
  if (event.defaultPrevented) return null;
  const form = event.target;
  if (!(form instanceof HTMLFormElement)) return null;
  const submitter = event.submitter instanceof HTMLButtonElement || event.submitter instanceof HTMLInputElement ? event.submitter : null;
  if (form.closest('[data-full]') || submitter?.hasAttribute('data-full')) return null;
  const method = (submitter?.getAttribute('formmethod') ?? form.getAttribute('method') ?? 'get').toLowerCase();
  const enctype = (submitter?.getAttribute('formenctype') ?? form.getAttribute('enctype') ?? '').toLowerCase();
  const target = submitter?.getAttribute('formtarget') ?? form.getAttribute('target');
  if (method === 'dialog' || enctype === 'multipart/form-data' || (target && target !== '_self')) return null;
  // The attribute, not form.action: a field named "action" (the list's bulk form) shadows that property.
  const url = new URL(submitter?.hasAttribute('formaction') ? submitter.formAction : (form.getAttribute('action') ?? ''), location.href);
  if (url.origin !== location.origin || url.pathname === '/logout' || isFileUrl(url)) return null;
  // The submitter's own name and value go too, as the browser would send them.
  const fields = new URLSearchParams();
  for (const [name, value] of new FormData(form, submitter)) if (typeof value === 'string') fields.append(name, value);
  if (method === 'post') return { url, body: fields };
  url.search = fields.toString();
  return { url };
}
