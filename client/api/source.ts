// The source page's only line to the server. Small requests retry a few times here; uploads are
// single attempts with byte progress, and the uploader (client/source/upload.ts) decides what to re-send.
import { t } from '../i18n.ts';
import { toHex } from '../../common/envelope/hash.ts';

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
/** What the server holds of a pending submission (asked after a dropped connection). */
export type Received = { manifest: boolean; parts: number[] };
/** A reserved submission: its id, and the secret made here that alone reaches it (the server keeps a hash). */
export type Reserved = { id: string; secret: string };

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

export async function createSubmission(parts: number, sourceToken: string): Promise<Reserved> {
  const secret = toHex(crypto.getRandomValues(new Uint8Array(32)));
  const res = await request('/api/submissions', json({ parts, secret }, sourceToken));
  return { id: ((await res.json()) as { submission: string }).submission, secret };
}

/** A new source: only the hash-able login secret and the (passphrase-locked) key pair go up. */
export async function registerSource(login: string, publicKey: string, privateKey: string, desk: number | null): Promise<string> {
  const res = await request('/api/sources', json({ login, publicKey, privateKey, ...(desk === null ? {} : { desk }) }));
  return ((await res.json()) as { sourceToken: string }).sourceToken;
}

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
 * One attempt at a request on a reserved submission, with its secret, reporting bytes as they leave
 * (fetch cannot, XMLHttpRequest can). Rejects with an UploadError: status 0 for a broken or stalled connection.
 */
function send(method: 'GET' | 'PUT' | 'POST', to: Reserved, path: string, body: Uint8Array | null, onSent?: (loaded: number, total: number) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    let watchdog = 0;
    const stalled = () => xhr.abort();
    const alive = () => {
      clearTimeout(watchdog);
      watchdog = setTimeout(stalled, STALL_MS) as unknown as number;
    };
    xhr.open(method, `/api/submissions/${to.id}${path}`);
    xhr.setRequestHeader('x-upload-secret', to.secret);
    if (body) xhr.setRequestHeader('content-type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      alive();
      onSent?.(e.loaded, e.total || body?.length || 1);
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
    xhr.send(body ? new Blob([body as BlobPart]) : null);
  });
}

/** Part `n` (from 1) of a submission, already encrypted on this device. */
export const putPart = (to: Reserved, n: number, ciphertext: Uint8Array, onSent?: (loaded: number, total: number) => void) =>
  send('PUT', to, `/parts/${n}`, ciphertext, onSent);

export const putManifest = (to: Reserved, ciphertext: Uint8Array) => send('PUT', to, '/manifest', ciphertext);

export const completeSubmission = (to: Reserved) => send('POST', to, '/complete', null);

/** What the server holds; null once the submission no longer answers (completed, or gone: a 404). */
export const received = (to: Reserved): Promise<Received | null> =>
  send('GET', to, '', null).then(JSON.parse, (e: UploadError) => {
    if (e.status !== 404) throw e;
    return null;
  });
