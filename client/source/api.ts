// Talks to the source API. Retries a failed part a few times; a refusal (4xx) is final.
export class UploadError extends Error {
  override name = 'UploadError';
}

export type DropConfig = { open: boolean; partSize: number; maxParts: number; keys: string[] };

const RETRIES = 4;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function errorText(res: Response): Promise<string> {
  const body = (await res.json().catch(() => null)) as { error?: string } | null;
  return body?.error ?? `The server refused the upload (${res.status}).`;
}

async function request(url: string, init: RequestInit): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    let res: Response | null = null;
    try {
      res = await fetch(url, { ...init, credentials: 'same-origin', cache: 'no-store', referrerPolicy: 'no-referrer' });
    } catch {
      // A network failure is worth another try: Tor circuits drop.
    }
    if (res && res.status < 500 && res.status !== 429) {
      if (!res.ok) throw new UploadError(await errorText(res));
      return res;
    }
    if (attempt >= RETRIES) throw new UploadError(res ? await errorText(res) : 'The connection failed repeatedly. Check your connection and try again.');
    await sleep(500 * 2 ** attempt);
  }
}

export async function fetchConfig(): Promise<DropConfig> {
  return (await request('/api/config', { method: 'GET' })).json() as Promise<DropConfig>;
}

export type Created = { submission: string; sourceToken?: string };

export async function createSubmission(parts: number, sourceToken: string | null): Promise<Created> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (sourceToken) headers['x-source-token'] = sourceToken;
  const res = await request('/api/submissions', { method: 'POST', headers, body: JSON.stringify({ parts }) });
  return res.json() as Promise<Created>;
}

export async function putObject(path: string, body: Uint8Array): Promise<void> {
  await request(path, { method: 'PUT', headers: { 'content-type': 'application/octet-stream' }, body: body as BodyInit });
}

export async function completeSubmission(id: string): Promise<void> {
  await request(`/api/submissions/${id}/complete`, { method: 'POST' });
}
