// The source page's only line to the server. Retries a failed part a few times; a refusal (4xx) is final.

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
}

export type DropConfig = { open: boolean; partSize: number; maxParts: number; keys: string[]; kdfSalt: string };

const RETRIES = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function refusal(res: Response): Promise<UploadError> {
  const body = (await res.json().catch(() => null)) as { error?: string; code?: string } | null;
  return new UploadError(body?.error ?? `The server refused the upload (${res.status}).`, res.status, body?.code);
}

async function request(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    try {
      res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer' });
    } catch {
      // A network failure is worth another try: Tor circuits drop.
    }
    // 408: the server cut a body that arrived too slowly (a stalled Tor circuit): worth another try.
    if (res && res.status < 500 && res.status !== 429 && res.status !== 408) {
      if (!res.ok) throw await refusal(res);
      return res;
    }
    if (attempt >= RETRIES) throw res ? await refusal(res) : new UploadError('The connection failed repeatedly. Check your connection and try again.');
    await sleep(500 * 2 ** attempt);
  }
}

export async function fetchConfig(): Promise<DropConfig> {
  return (await request('/api/config', { method: 'GET' })).json() as Promise<DropConfig>;
}

const json = (body: unknown, token?: string): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { 'x-source-token': token } : {}) },
  body: JSON.stringify(body),
});

export async function createSubmission(parts: number, sourceToken: string): Promise<string> {
  const res = await request('/api/submissions', json({ parts }, sourceToken));
  return ((await res.json()) as { submission: string }).submission;
}

/** A new source: only the hash-able login secret and the (passphrase-locked) key pair go up. */
export async function registerSource(login: string, publicKey: string, privateKey: string): Promise<string> {
  const res = await request('/api/sources', json({ login, publicKey, privateKey }));
  return ((await res.json()) as { sourceToken: string }).sourceToken;
}

export type LoggedIn = { sourceToken: string; privateKey: string; replies: { id: string; createdDay: string; read: boolean }[] };

export async function login(loginSecret: string): Promise<LoggedIn> {
  return (await request('/api/sources/login', json({ login: loginSecret }))).json() as Promise<LoggedIn>;
}

export async function fetchReply(id: string, token: string): Promise<Uint8Array> {
  const res = await request(`/api/replies/${id}`, { method: 'GET', headers: { 'x-source-token': token } });
  return new Uint8Array(await res.arrayBuffer());
}

export async function replyAction(id: string, action: 'read' | 'delete', token: string): Promise<void> {
  await request(`/api/replies/${id}/${action}`, { method: 'POST', headers: { 'x-source-token': token } });
}

async function putObject(path: string, body: Uint8Array): Promise<void> {
  await request(path, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
}

/** Part `n` (from 1) of a submission, already encrypted on this device. */
export const putPart = (id: string, n: number, ciphertext: Uint8Array) => putObject(`/api/submissions/${id}/parts/${n}`, ciphertext);

export const putManifest = (id: string, ciphertext: Uint8Array) => putObject(`/api/submissions/${id}/manifest`, ciphertext);

export async function completeSubmission(id: string): Promise<void> {
  await request(`/api/submissions/${id}/complete`, { method: 'POST' });
}
