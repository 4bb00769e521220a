import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sendIdOf } from '../../common/send-id.ts';
import { foldedRequest, newSecret } from './folded.ts';
import type { StaffClient } from './staff-client.ts';

// Many sources at once against a running server, for the load test and `npm run bench`: each
// logs in with its codename, then sends a file on the JS path as the page does (folded sends,
// POST /api/sends/:n: the parts two at a time, the last with the manifest, completing it) or a form
// without JavaScript, pausing between actions as a person would. On the JS path a client retries
// what the server asks it to retry (busy, a dropped connection), as the page does; an error is a
// request that still failed after that. A form without JavaScript is never retried. A journalist reloads the inbox throughout, timed.
// Every answer that is not the expected one is counted where it happened, retried or not: each
// 5xx (a "busy" 503 included) in serverErrors, each retry in retries, each by request and status
// in unexpected, so a run that only succeeded by retrying is visible as such.

export type LoadOptions = {
  sourceUrl: string;
  staff: StaffClient;
  clients: number;
  seconds: number;
  /** Login secrets of registered sources; clients share them (several tabs of one source). */
  logins: string[];
  /** One file sealed for the JS path: the server cannot tell one submission's ciphertext from another's. */
  sealed: { parts: Uint8Array[]; manifest: Uint8Array };
  /** The server's pid, to sample its resident memory. */
  serverPid: number;
  /** Pause between a client's actions, in ms. */
  thinkMs?: [number, number];
};

export type LoadFigures = {
  clients: number;
  seconds: number;
  actions: { jsUploads: number; noScriptUploads: number; codenameLogins: number };
  requests: number;
  requestsPerSecond: number;
  retries: number;
  /** Retries by request and status, e.g. "PUT part: 503". */
  retriedBecause: Record<string, number>;
  errors: number;
  errorSamples: string[];
  /** Every 5xx answer, the inbox's included, whether or not a retry then succeeded. */
  serverErrors: number;
  /** Every answer that was not the expected one, by request and status ("PUT part: 503", "POST login: 0" for no answer). */
  unexpected: Record<string, number>;
  /** Submission ids, upload secrets and source tokens of the run (the log must name none). */
  identifiers: string[];
  inbox: { loads: number; p50Ms: number; p99Ms: number; maxMs: number };
  serverRssMiB: { start: number; peak: number; end: number };
};

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const retryable = (status: number) => status === 0 || (status >= 500 && status !== 507) || status === 408 || status === 429;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

export function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round(Number(m[1]) / 1024) : 0;
}

export async function runLoad(o: LoadOptions): Promise<LoadFigures> {
  const f = { requests: 0, retries: 0, errors: 0, serverErrors: 0, samples: [] as string[], js: 0, noScript: 0, logins: 0, because: {} as Record<string, number>, unexpected: {} as Record<string, number>, ids: new Set<string>() };
  const count = (tally: Record<string, number>, key: string) => (tally[key] = (tally[key] ?? 0) + 1);
  const [thinkLo, thinkHi] = o.thinkMs ?? [3000, 6000];
  const deadline = Date.now() + o.seconds * 1000;

  /** One request, retried like the page does; resolves with the response, or null once it gave up. */
  const call = async (path: string, init: RequestInit, ok: number[], retries = 6): Promise<Response | null> => {
    for (let attempt = 0; ; attempt++) {
      f.requests++;
      let status = 0;
      let res: Response | null = null;
      let said = '';
      try {
        res = await fetch(`${o.sourceUrl}${path}`, { ...init, redirect: 'manual' });
        status = res.status;
        if (ok.includes(status)) return res;
        said = (/"error":"([^"]{0,80})|<p[^>]*>([^<]{0,80})/.exec(await res.text()) ?? []).slice(1).join('');
      } catch {
        status = 0;
      }
      const why = `${init.method ?? 'GET'} ${path.replace(/\/[0-9a-f]{32}/g, '/:id').replace(/\/(parts|sends)\/\d+/, '/$1/:n')}: ${status}`;
      count(f.unexpected, why);
      if (status >= 500) f.serverErrors++;
      if (!retryable(status) || attempt >= retries) {
        f.errors++;
        if (f.samples.length < 5) f.samples.push(`${init.method ?? 'GET'} ${path.replace(/[0-9a-f]{32}/g, ':id')}: ${status} ${said}`);
        return null;
      }
      f.retries++;
      count(f.because, why);
      await sleep(Math.min(4000, 250 * 2 ** attempt));
    }
  };
  const json = { 'content-type': 'application/json', 'sec-fetch-site': 'same-origin' };

  const login = async (): Promise<string | null> => {
    const secret = o.logins[Math.floor(Math.random() * o.logins.length)]!;
    const res = await call('/api/sources/login', { method: 'POST', headers: json, body: JSON.stringify({ login: secret }) }, [200]);
    f.logins++;
    const token = res ? ((await res.json()) as { sourceToken: string }).sourceToken : null;
    if (token) f.ids.add(token);
    return token;
  };

  /** One folded request: part n (the last one with the manifest); a repeat changes nothing, so a retry sends it again. Resolves with "done", or null. */
  const fold = async (token: string, secret: string, n: number): Promise<boolean | null> => {
    const { parts, manifest } = o.sealed;
    const r = foldedRequest({ n, head: { parts: parts.length }, part: parts[n - 1]!, manifest: n === parts.length ? manifest : null, secret, token });
    const res = await call(r.path, { method: 'POST', headers: { ...r.headers, 'sec-fetch-site': 'same-origin' }, body: r.body }, [200]);
    return res ? ((await res.json()) as { done: boolean }).done : null;
  };

  const jsUpload = async (token: string) => {
    const secret = newSecret(); // made by the page for each upload; the server keeps its hash
    f.ids.add(secret).add(sendIdOf(secret));
    const numbers = o.sealed.parts.map((_, i) => i + 1);
    let done = false;
    for (let i = 0; i < numbers.length; i += 2) {
      const answers = await Promise.all(numbers.slice(i, i + 2).map((n) => fold(token, secret, n)));
      if (answers.includes(null)) return;
      done ||= answers.includes(true);
    }
    // Whichever request made the item whole completed it; a run where none said so is an error.
    if (done) return void f.js++;
    f.errors++;
    if (f.samples.length < 5) f.samples.push('POST /api/sends/:n: every piece answered, none said done');
  };

  // A returning source without JavaScript: the session cookie from its codename login, one form.
  const noScriptUpload = async (token: string) => {
    const boundary = `load${randomBytes(6).toString('hex')}`;
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="notes.txt"\r\nContent-Type: text/plain\r\n\r\n${randomBytes(20_000).toString('base64')}\r\n--${boundary}--\r\n`;
    const headers = { 'content-type': `multipart/form-data; boundary=${boundary}`, cookie: `__Host-sealdrop-source=${token}`, 'sec-fetch-site': 'same-origin' };
    // A browser without JavaScript does not retry: a refusal here is an error the source sees.
    if (await call('/submit', { method: 'POST', headers, body }, [303], 0)) f.noScript++;
  };

  const client = async () => {
    await sleep(Math.random() * thinkHi); // arrivals spread out, as people's are
    while (Date.now() < deadline) {
      const token = await login();
      if (token) await (Math.random() < 0.7 ? jsUpload(token) : noScriptUpload(token));
      await sleep(thinkLo + Math.random() * (thinkHi - thinkLo));
    }
  };

  const inbox: number[] = [];
  const inboxFailures: string[] = [];
  const watchInbox = async () => {
    while (Date.now() < deadline) {
      const t = performance.now();
      const res = await o.staff.get('/');
      await res.arrayBuffer();
      inbox.push(performance.now() - t);
      if (res.status !== 200) inboxFailures.push(`inbox: ${res.status}`);
      if (res.status !== 200) count(f.unexpected, `GET inbox: ${res.status}`);
      if (res.status >= 500) f.serverErrors++;
      await sleep(500);
    }
  };
  const rss = { start: rssMiB(o.serverPid), peak: 0, end: 0 };
  const sampler = setInterval(() => (rss.peak = Math.max(rss.peak, rssMiB(o.serverPid))), 250);
  const started = performance.now();
  try {
    await Promise.all([...Array.from({ length: o.clients }, client), watchInbox()]);
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  rss.end = rssMiB(o.serverPid);
  rss.peak = Math.max(rss.peak, rss.end);
  const sorted = [...inbox].sort((a, b) => a - b);
  return {
    clients: o.clients,
    seconds: +seconds.toFixed(1),
    actions: { jsUploads: f.js, noScriptUploads: f.noScript, codenameLogins: f.logins },
    requests: f.requests,
    requestsPerSecond: +(f.requests / seconds).toFixed(1),
    retries: f.retries,
    retriedBecause: f.because,
    errors: f.errors + inboxFailures.length,
    errorSamples: [...f.samples, ...inboxFailures.slice(0, 3)],
    serverErrors: f.serverErrors,
    unexpected: f.unexpected,
    identifiers: [...f.ids],
    inbox: { loads: inbox.length, p50Ms: Math.round(percentile(sorted, 0.5)), p99Ms: Math.round(percentile(sorted, 0.99)), maxMs: Math.round(sorted.at(-1) ?? 0) },
    serverRssMiB: rss,
  };
}

/** What prepareLoad made: the options for runLoad, the server's output and what it must never log. */
export type PreparedLoad = {
  options: LoadOptions;
  /** What the server wrote to stdout (its banner) and stderr (its structured log). */
  stdout(): string;
  stderr(): string;
  dataDir: string;
  /** Codenames, login secrets, passphrase and the names the run used. */
  secrets: string[];
  cleanup(): Promise<void>;
};

/**
 * A Sealdrop child server ready for runLoad: one journalist logged in, 20 registered sources
 * (their login secrets), one file sealed for the JS path. `cleanup` stops and removes it all.
 */
export async function prepareLoad(clients: number, seconds: number): Promise<PreparedLoad> {
  const { generateKeyPair, readJournalistKey, sealFile, SubmissionSealer } = await import('../../common/envelope/index.ts');
  const { deriveSourceSecrets } = await import('../../common/codename.ts');
  const { hashPassphrase } = await import('../../server/auth/passwords.ts');
  const { currentStep, newTotpSecret, totpCode } = await import('../../server/auth/totp.ts');
  const { killableServer } = await import('./killable-server.ts');
  const { registerApiSource } = await import('./sources.ts');
  const { StaffClient } = await import('./staff-client.ts');
  const part = 64 * 1024;
  const totp = newTotpSecret();
  const passphrase = 'load desk walks past seven harbours';
  const pair = await generateKeyPair({ name: 'Load desk' });
  const server = await killableServer(pair.publicKey, { SEALDROP_PART_SIZE: String(part), SEALDROP_MIN_FREE_MIB: '0' }, async (store, id) => {
    store.journalists.setCredentials(id, { passwordHash: await hashPassphrase(passphrase), totpSecret: totp });
  });
  await server.start();
  const salt = ((await (await fetch(`${server.sourceUrl}/api/config`)).json()) as { kdfSalt: string }).kdfSalt;
  const codenames = await Promise.all(Array.from({ length: 20 }, async () => (await registerApiSource(server.sourceUrl)).codename));
  const logins = await Promise.all(codenames.map(async (c) => (await deriveSourceSecrets(c, salt)).loginSecret));
  const sealer = new SubmissionSealer({ submission: '0'.repeat(32), name: 'load.bin', type: 'application/octet-stream', recipients: [(await readJournalistKey(pair.publicKey)).key], partSize: part });
  const parts: Uint8Array[] = [];
  for await (const p of sealFile(sealer, 100_000, async (s, e) => new Uint8Array(e - s).fill(7))) parts.push(p);
  const staff = new StaffClient(server.journalistUrl);
  const login = await staff.login('jo', passphrase, totpCode(totp, currentStep()));
  if (login.status !== 303) throw new Error(`journalist login failed: ${login.status}`);
  return {
    options: { sourceUrl: server.sourceUrl, staff, clients, seconds, logins, sealed: { parts, manifest: await sealer.sealManifest() }, serverPid: server.pid() },
    stdout: () => server.stdout(),
    stderr: () => server.stderr(),
    dataDir: server.dataDir,
    secrets: [...codenames, ...codenames.map((c) => c.replaceAll(' ', '-')), ...logins, passphrase, 'Load desk', 'load.bin', 'notes.txt', server.dataDir],
    cleanup: () => server.cleanup(),
  };
}
