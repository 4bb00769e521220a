import { randomBytes } from 'node:crypto';
import { readJournalistKey, sealFile, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';
import { sealText } from '../../common/envelope/pad-text.ts';
import { sendIdOf } from '../../common/send-id.ts';
import { foldedRequest, newSecret } from '../helpers/folded.ts';
import { StaffClient } from '../helpers/staff-client.ts';

// The clients of the crash test: a source's page (JS path, with resume: two files in three through
// the folded route the page uses, POST /api/sends/:n, the third through the item routes pages from
// before it still use), a browser without
// JavaScript (one form post), and a journalist (deletes, replies, source purges). Each operation
// ends in 'acked' (the server answered success) or 'cut' (the connection died with the server,
// once the test had begun to kill it); anything else is a bug and throws: a wrong status, a body
// that does not parse, a TypeError of the client's own, or a connection dropped while the server
// was meant to be up.

export type Outcome = 'acked' | 'cut';
export class UnexpectedAnswer extends Error {
  override name = 'UnexpectedAnswer';
}

/** Opened by the test just before it sends SIGKILL, closed before the next start. */
export type KillWindow = { open: boolean };

// What a dead server looks like to undici's fetch: the connect refused, the socket reset or closed
// under a request or its body, a write into a closed socket. Only these, found in the error's cause
// chain (fetch wraps them in "TypeError: fetch failed" or "terminated"), are a cut.
const CUT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE']);
const CUT_MESSAGES = /^(other side closed|socket hang up)$/;

export function isConnectionCut(error: unknown): boolean {
  for (let e = error as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown } | undefined, depth = 0; e && depth < 8; e = e.cause as typeof e, depth++) {
    if (typeof e !== 'object') return false;
    if (CUT_CODES.has(e.code as string) || CUT_MESSAGES.test(String(e.message))) return true;
    if (Array.isArray(e.errors) && e.errors.length > 0 && e.errors.every(isConnectionCut)) return true;
  }
  return false;
}

/** Runs an operation; a connection cut while the server is being killed is 'cut', anything else that fails throws. */
export async function outcome(run: () => Promise<void>, kill: KillWindow): Promise<Outcome> {
  try {
    await run();
    return 'acked';
  } catch (error) {
    if (kill.open && isConnectionCut(error)) return 'cut';
    if (error instanceof UnexpectedAnswer) throw error;
    throw new Error(`${kill.open ? 'during' : 'before'} the kill, not a connection cut: ${String(error)} (cause: ${String((error as Error)?.cause)})`, { cause: error });
  }
}

async function expectStatus(res: Response, ok: number[], what: string): Promise<Response> {
  if (!ok.includes(res.status)) throw new UnexpectedAnswer(`${what}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  return res;
}

/** A file sealed as the page would seal it, ready to send part by part with its upload's secret (folded: through POST /api/sends). */
export type SealedFile = { name: string; plaintext: Buffer; parts: Uint8Array[]; manifest: Uint8Array; submission: string | null; secret: string; folded?: boolean };

/** What the server holds of a folded send (GET /api/sends): null when nothing was opened. */
type Held = { done: boolean; parts: number[]; manifest: boolean } | null;

export class SourcePage {
  token = '';
  /** Files reserved so far: which route a file takes follows from it, so a seed replays the same. */
  private reserved = 0;
  constructor(
    readonly url: string,
    readonly loginSecret: string,
  ) {}

  async login(): Promise<void> {
    const res = await expectStatus(await this.api('POST', '/sources/login', JSON.stringify({ login: this.loginSecret }), 'application/json'), [200], 'login');
    this.token = ((await res.json()) as { sourceToken: string }).sourceToken;
  }

  /** Reserves a submission and seals the file for it (the manifest names the submission). */
  async reserve(file: { name: string; plaintext: Buffer }, partSize: number, journalists: PublicKey | PublicKey[]): Promise<SealedFile> {
    const parts = Math.max(1, Math.ceil(file.plaintext.length / partSize));
    // Made here, as the page makes it: the server keeps only its hash, and it outlives a restart.
    const secret = newSecret();
    const folded = this.reserved++ % 3 !== 2;
    // A folded send opens its item with its first request; the id follows from the secret (common/send-id.ts).
    const submission = folded ? sendIdOf(secret) : await this.open(parts, secret);
    const sealer = new SubmissionSealer({ submission, name: file.name, type: 'application/octet-stream', recipients: Array.isArray(journalists) ? journalists : [journalists], partSize });
    const sealed: Uint8Array[] = [];
    for await (const p of sealFile(sealer, file.plaintext.length, async (s, e) => file.plaintext.subarray(s, e))) sealed.push(p);
    if (sealed.length !== parts) throw new Error(`sealed ${sealed.length} parts, reserved ${parts}`);
    return { name: file.name, plaintext: file.plaintext, parts: sealed, manifest: await sealer.sealManifest(), submission, secret, folded };
  }

  private async open(parts: number, secret: string): Promise<string> {
    const res = await expectStatus(await this.api('POST', '/submissions', JSON.stringify({ parts, secret }), 'application/json'), [201], 'reserve');
    return ((await res.json()) as { submission: string }).submission;
  }

  /**
   * Sends what the server does not have yet (after a cut, it asks first), then completes. A
   * completed upload answers nobody, its page included: a 404 here means an earlier completion
   * landed though its answer was cut (the checks after each restart find the file, or fail).
   */
  async send(file: SealedFile): Promise<void> {
    if (file.folded) return this.sendFolded(file);
    const id = file.submission!;
    const asked = await expectStatus(await this.api('GET', `/submissions/${id}`, undefined, undefined, file.secret), [200, 404], 'received');
    if (asked.status === 404) return;
    const have = (await asked.json()) as { manifest: boolean; parts: number[] };
    for (const [i, part] of file.parts.entries()) {
      if (!have.parts.includes(i + 1)) await expectStatus(await this.api('PUT', `/submissions/${id}/parts/${i + 1}`, part, undefined, file.secret), [204], `part ${i + 1}`);
    }
    if (!have.manifest) await expectStatus(await this.api('PUT', `/submissions/${id}/manifest`, file.manifest, undefined, file.secret), [204], 'manifest');
    await expectStatus(await this.api('POST', `/submissions/${id}/complete`, undefined, undefined, file.secret), [204], 'complete');
  }

  /**
   * As the page sends (client/source/upload.ts): the parts two at a time, the last one with the
   * manifest; after a cut, only what GET /api/sends says is missing. Every piece held but no "done"
   * (a kill between storing the last piece and completing) is finished by the manifest sent again.
   */
  private async sendFolded(file: SealedFile): Promise<void> {
    const held = await this.held(file.secret);
    if (held?.done) return;
    const count = file.parts.length;
    const missing = (n: number) => !held?.parts.includes(n);
    const first = file.parts.slice(0, -1).map((_, i) => i + 1).filter(missing);
    for (let i = 0; i < first.length; i += 2) {
      const answers = await Promise.all(first.slice(i, i + 2).map((n) => this.fold(file, n, file.parts[n - 1]!, null)));
      if (answers.some((a) => a.done)) throw new UnexpectedAnswer(`${file.name}: done before its last part`);
    }
    const last = missing(count) ? file.parts[count - 1]! : null;
    const answer = await this.fold(file, last ? count : 0, last, file.manifest);
    if (!answer.done) throw new UnexpectedAnswer(`${file.name}: every piece sent, not done`);
  }

  private async fold(file: SealedFile, n: number, part: Uint8Array | null, manifest: Uint8Array | null): Promise<{ done: boolean }> {
    const r = foldedRequest({ n, head: { parts: file.parts.length }, part, manifest, secret: file.secret, token: this.token });
    const res = await fetch(`${this.url}${r.path}`, { method: 'POST', headers: { ...r.headers, 'sec-fetch-site': 'same-origin' }, body: r.body });
    return (await (await expectStatus(res, [200], `folded ${n}`)).json()) as { done: boolean };
  }

  private async held(secret: string): Promise<Held> {
    const res = await expectStatus(await fetch(`${this.url}/api/sends`, { headers: { 'x-upload-secret': secret } }), [200, 404], 'held');
    if (res.status === 404) return null;
    const body = (await res.json()) as { done: boolean; parts?: number[]; manifest?: boolean };
    return { done: body.done, parts: body.parts ?? [], manifest: body.manifest ?? false };
  }

  private api(method: string, path: string, body?: BodyInit | Uint8Array, type = 'application/octet-stream', secret?: string): Promise<Response> {
    const headers: Record<string, string> = { 'x-source-token': this.token, 'sec-fetch-site': 'same-origin', ...(secret ? { 'x-upload-secret': secret } : {}) };
    if (body !== undefined) headers['content-type'] = type;
    return fetch(`${this.url}/api${path}`, { method, headers, ...(body === undefined ? {} : { body: body as BodyInit }) });
  }
}

/** A new source without JavaScript: one multipart form post, answered with the codename page. */
export async function postNoScript(url: string, name: string, plaintext: Buffer): Promise<void> {
  const boundary = `sealdrop${randomBytes(8).toString('hex')}`;
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: application/octet-stream\r\n\r\n`);
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const res = await fetch(`${url}/submit`, {
    method: 'POST',
    headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'sec-fetch-site': 'same-origin' },
    body: Buffer.concat([head, plaintext, tail]),
    redirect: 'manual',
  });
  await expectStatus(res, [200, 303], 'no-JS send');
  if (res.status === 200 && !/codename/i.test(await res.text())) throw new UnexpectedAnswer('no-JS send: no codename shown');
}

/** A logged-in journalist acting through the journalist interface, as the inbox page does. */
export class Desk {
  readonly staff: StaffClient;
  constructor(url: string) {
    this.staff = new StaffClient(url);
  }

  async login(username: string, passphrase: string, code: string): Promise<void> {
    this.staff.cookie = '';
    await expectStatus(await this.staff.login(username, passphrase, code), [303], 'journalist login');
    await expectStatus(await this.staff.get('/'), [200], 'inbox');
  }

  async deleteSubmission(id: string): Promise<void> {
    await expectStatus(await this.staff.post(`/submissions/${id}/delete`, { csrf: this.staff.csrf }), [303], 'delete submission');
  }

  async deleteSource(id: string): Promise<void> {
    await expectStatus(await this.staff.post(`/sources/${id}/delete`, { csrf: this.staff.csrf }), [303], 'delete source');
  }

  /** Encrypts a reply to the source and the journalists (the keys the server lists), and posts it. */
  async reply(sourceId: string, text: Buffer): Promise<{ ciphertext: Uint8Array; id: string }> {
    const keys = (await (await expectStatus(await this.staff.get(`/sources/${sourceId}/keys`), [200], 'reply keys')).json()) as { keys: string[] };
    const recipients = await Promise.all(keys.keys.map(async (k) => (await readJournalistKey(k)).key));
    // Padded as the journalist's page pads a reply: random bytes, written as hex, are its text.
    const ciphertext = await sealText({ kind: 'reply', text: text.toString('hex'), recipients });
    const res = await fetch(`${this.staff.base}/sources/${sourceId}/replies`, {
      method: 'POST',
      headers: { cookie: this.staff.cookie, 'x-csrf-token': this.staff.csrf, 'content-type': 'application/octet-stream', 'sec-fetch-site': 'same-origin' },
      body: ciphertext as BodyInit,
    });
    await expectStatus(res, [201], 'reply');
    return { ciphertext, id: ((await res.json()) as { reply: string }).reply };
  }
}
