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
