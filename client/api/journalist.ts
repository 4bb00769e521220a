// The journalist page's only line to the server. Same-origin, behind the login session; a request
// that changes state carries the page's CSRF token. Nothing here ever sees plaintext.
import { t } from '../i18n.ts';

/** A refusal; `code` is the server's stable name for it when the answer was JSON. */
export class JournalistApiError extends Error {
  override name = 'JournalistApiError';
  constructor(
    message: string,
    readonly status: number,
    readonly code = 'unknown',
  ) {
    super(message);
  }
}

const get = (url: string) => fetch(url, { credentials: 'same-origin', cache: 'no-store' });

async function refusal(res: Response): Promise<JournalistApiError> {
  const body = (await res.json().catch(() => null)) as { error?: string; code?: string } | null;
  return new JournalistApiError(body?.error ?? t('staff.script.serverAnswered', { status: res.status }), res.status, body?.code);
}

async function bytes(res: Response): Promise<Uint8Array> {
  if (!res.ok) throw await refusal(res);
  return new Uint8Array(await res.arrayBuffer());
}

/** One stored object of a submission (its manifest or a part), or null if the server has none. */
export async function fetchSubmissionObject(id: string, name: string): Promise<Uint8Array | null> {
  const res = await get(`/submissions/${id}/${name}`);
  return res.status === 404 ? null : bytes(res);
}

/** Marks a submission read for this journalist ("I opened it"); the answer is not checked (their own bookkeeping, not a record). */
export async function markSeen(id: string, csrf: string): Promise<void> {
  await fetch(`/submissions/${id}/seen`, { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
}

/** Every labelled conversation's label ciphertext (base64), for the list's search by label in the page. */
export async function fetchLabels(): Promise<{ id: string; designation: string; label: string }[]> {
  const res = await get('/labels');
  if (!res.ok) throw await refusal(res);
  return ((await res.json()) as { labels: { id: string; designation: string; label: string }[] }).labels;
}

/** The armoured keys a reply to this source must be encrypted to: the source's and every journalist's. */
export async function fetchReplyKeys(sourceId: string): Promise<string[]> {
  const res = await get(`/sources/${sourceId}/keys`);
  if (!res.ok) throw await refusal(res);
  return ((await res.json()) as { keys: string[] }).keys;
}

/** Posts ciphertext made in this page; the server checks whom it is addressed to, never reads it. */
async function postCiphertext(path: string, ciphertext: Uint8Array, csrf: string): Promise<void> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/octet-stream', 'x-csrf-token': csrf },
    body: ciphertext as BodyInit,
  });
  if (!res.ok) throw await refusal(res);
}

export const postReply = (sourceId: string, ciphertext: Uint8Array, csrf: string): Promise<void> => postCiphertext(`/sources/${sourceId}/replies`, ciphertext, csrf);

export const fetchReply = async (id: string): Promise<Uint8Array> => bytes(await get(`/replies/${id}.pgp`));

/** Stores a source's label, encrypted in this page to every journalist's key (an empty body clears it). */
export const postLabel = (sourceId: string, ciphertext: Uint8Array, csrf: string): Promise<void> => postCiphertext(`/sources/${sourceId}/label`, ciphertext, csrf);

/** This journalist has not opened it after all ("Mark unread"); colleagues keep their own state. */
export async function markUnseen(id: string, csrf: string): Promise<void> {
  const res = await fetch(`/submissions/${id}/unseen`, { method: 'POST', headers: { 'x-csrf-token': csrf }, credentials: 'same-origin' });
  if (!res.ok) throw await refusal(res);
}

/** A staff page for the workspace shell (client/journalist/shell.ts), after any redirect (a form's 303). */
export type FetchedPage = {
  /** Where the page came from, after any redirect: the address to show. */
  url: string;
  status: number;
  redirected: boolean;
  /** The page, or null when the answer was not HTML (a file, JSON). */
  html: string | null;
};

/** GET, or POST of a form's fields as the browser would send them (its CSRF token among them). */
export async function fetchPage(url: string, form?: URLSearchParams): Promise<FetchedPage> {
  const res = await fetch(url, { method: form ? 'POST' : 'GET', body: form, credentials: 'same-origin', cache: 'no-store', headers: { accept: 'text/html' } });
  const html = (res.headers.get('content-type') ?? '').startsWith('text/html');
  if (!html) await res.body?.cancel();
  return { url: res.url, status: res.status, redirected: res.redirected, html: html ? await res.text() : null };
}

/** Who an item can be shared with and where a conversation can move (re-wrapping, client/journalist/rewrap.ts). */
export type RewrapChoices = { journalists: string[]; desks: string[]; retired: number };
export async function fetchRewrapChoices(): Promise<RewrapChoices> {
  const res = await get('/rewrap/choices');
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as RewrapChoices;
}

/**
 * One step of a re-wrap: without `objects` the server answers the plan (each object's PKESKs and
 * the keys to add); with them (only the public-key packets this page made) it applies it.
 */
export async function postRewrap<T>(path: string, body: Record<string, unknown>, csrf: string): Promise<T> {
  const res = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw await refusal(res);
  return (await res.json()) as T;
}
