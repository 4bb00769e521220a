// The source page's only line to the server. Small requests retry a few times here; uploads are
// single attempts with byte progress, and the uploader (client/source/upload.ts) decides what to re-send.
import { t } from '../i18n.ts';

/**
 * A dropped connection (0), a busy or restarting server, or a body cut for arriving too slowly
 * (408, a stalled Tor circuit): worth another try. Any other refusal is final.
 */
// 507: the server is out of space; the page says so rather than retrying for the next quarter hour.
const retryableStatus = (status: number): boolean => status === 0 || (status >= 500 && status !== 507) || status === 408 || status === 429;

/** A refusal or a failed connection; `code` is the server's stable name for it (never match the wording). */
export class UploadError extends Error {
  override name = 'UploadError';
  constructor(
    message: string,
    readonly status = 0,
    readonly code = status === 0 ? 'network' : 'unknown',
  ) {
    super(message);
  }

  get retryable(): boolean {
    return retryableStatus(this.status);
  }
}

/** `desks`: with two desks or more, for a source without a codename yet, each desk's keys (then `keys` is empty). */
export type DropConfig = { open: boolean; partSize: number; maxParts: number; maxFileBytes: number; keys: string[]; kdfSalt: string; desks?: { id: number; keys: string[] }[] };
/** One item of a send: the secret made here that alone reaches it (the server keeps a hash), and its part count. */
export type Reserved = { secret: string; parts: number };

const RETRIES = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parsed(text: string): { error?: string; code?: string } | null {
  try {
    return JSON.parse(text) as { error?: string; code?: string };
  } catch {
    return null; // not JSON: a proxy's page, or nothing
  }
}

function refusalOf(status: number, text: string): UploadError {
  const body = parsed(text);
  return new UploadError(body?.error ?? t('client.refused', { status }), status, body?.code);
}

const refusal = async (res: Response): Promise<UploadError> => refusalOf(res.status, await res.text().catch(() => ''));

async function request(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    try {
      res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer' });
    } catch {
      // A network failure is worth another try: Tor circuits drop.
    }
    if (res && !retryableStatus(res.status)) {
      if (!res.ok) throw await refusal(res);
      return res;
    }
    if (attempt >= RETRIES) throw res ? await refusal(res) : new UploadError(t('client.failedRepeatedly'));
    await sleep(500 * 2 ** attempt);
  }
}

/** With a source's session, the keys of their conversation's desk; without, what a new source may send to. */
export async function fetchConfig(sourceToken?: string | null): Promise<DropConfig> {
  return (await request('/api/config', { method: 'GET', headers: sourceToken ? { 'x-source-token': sourceToken } : {} })).json() as Promise<DropConfig>;
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { 'x-source-token': token } : {}) },
  body: JSON.stringify(body),
});

export type LoggedIn = { sourceToken: string; privateKey: string; replies: { id: string; createdDay: string; read: boolean }[]; sent: { n: number; day: string; size: number; status: string }[] };

export async function login(loginSecret: string): Promise<LoggedIn> {
  return (await request('/api/sources/login', json({ login: loginSecret }))).json() as Promise<LoggedIn>;
}

/** The stored manifest of the n-th item this source sent (its name opens with the source's own key, if it was sealed to it). */
export async function fetchSentManifest(n: number, token: string): Promise<Uint8Array> {
  const res = await request(`/api/sent/${n}/manifest`, { method: 'GET', headers: { 'x-source-token': token } });
  return new Uint8Array(await res.arrayBuffer());
}

export async function fetchReply(id: string, token: string): Promise<Uint8Array> {
  const res = await request(`/api/replies/${id}`, { method: 'GET', headers: { 'x-source-token': token } });
  return new Uint8Array(await res.arrayBuffer());
}

export async function replyAction(id: string, action: 'read' | 'delete', token: string): Promise<void> {
  await request(`/api/replies/${id}/${action}`, { method: 'POST', headers: { 'x-source-token': token } });
}

// A Tor circuit can die without a word: an upload with no progress for this long is abandoned and retried.
const STALL_MS = 60_000;

/**
 * One attempt at a request, reporting bytes as they leave (fetch cannot, XMLHttpRequest can).
 * Rejects with an UploadError: status 0 for a broken or stalled connection.
 */
function xhrSend(method: 'GET' | 'PUT' | 'POST', url: string, headers: Record<string, string>, body: Uint8Array | Blob | null, onSent?: (loaded: number, total: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let watchdog = 0;
    const stalled = () => xhr.abort();
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(stalled, STALL_MS) as unknown as number;
    };
    xhr.open(method, url);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (body) xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      alive();
      onSent?.(e.loaded, e.total || (body instanceof Blob ? body.size : body?.length) || 1);
    };
    xhr.onload = () => {
      clearTimeout(watchdog);
      if (xhr.status >= 200 && xhr.status < 300) resolve(xhr.responseText);
      else reject(refusalOf(xhr.status, xhr.responseText));
    };
    xhr.onerror = xhr.onabort = () => {
      clearTimeout(watchdog);
      reject(new UploadError(t('client.brokeOff')));
    };
    alive();
    // A Blob: Chromium copies an ArrayBufferView body on the main thread, slowly (about 11 MB/s).
    xhr.send(body instanceof Blob ? body : body ? new Blob([body as BlobPart]) : null);
  });
}

/**
 * The head of a folded send: this item's part count, and while the server has not answered yet, the new source's registration and the other
 * items of the same send (so that a restart, which ends sessions, cannot stop them).
 */
export type SendHead = { parts: number; register?: { login: string; publicKey: string; privateKey: string; desk?: number }; reserve?: { secret: string; parts: number }[] };
export type SendAnswer = { done: boolean; sourceToken?: string };
/** What the server holds of a send: done, or what of it is pending; null if nothing (never opened, or dropped). */
export type SendHeld = { done: true } | { done: false; parts: number[]; manifest: boolean };

/**
 * One folded request (docs/envelope.md "Folded sends"): the head, a part and the manifest in one
 * body, their lengths declared in X-Send-Lengths; the path names the part carried (0: none, the
 * manifest alone). A one-part item goes whole in one request.
 */
export function sendFolded(secret: string, n: number, head: SendHead, part: Uint8Array | Blob | null, manifest: Uint8Array | null, token: string | null, onSent?: (loaded: number, total: number) => void): Promise<SendAnswer> {
  const headBytes = new TextEncoder().encode(JSON.stringify(head));
  const pieces = [headBytes, part ?? new Uint8Array(0), manifest ?? new Uint8Array(0)];
  const headers: Record<string, string> = { 'x-upload-secret': secret, 'x-send-lengths': pieces.map((p) => (p instanceof Blob ? p.size : p.length)).join(',') };
  if (token && !head.register) headers['x-source-token'] = token;
  return xhrSend('POST', `/api/sends/${n}`, headers, new Blob(pieces as BlobPart[]), onSent).then((text) => JSON.parse(text) as SendAnswer);
}

export const sendHeld = (secret: string): Promise<SendHeld | null> =>
  xhrSend('GET', '/api/sends', { 'x-upload-secret': secret }, null).then(JSON.parse, (e: UploadError) => {
    if (e.status !== 404) throw e;
    return null;
  });
