// Many sources at once: 50 clients each sending 64 MiB of envelope parts as the page does (folded
// sends, POST /api/sends/:n: two requests in flight, the last part with the manifest, completing
// the item), against the same bytes as 50 multipart posts to the bare server, in the same run.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { generateKeyPair, readJournalistKey, sealFile, SubmissionSealer } from '../common/envelope/index.ts';
import { foldedRequest, newSecret } from '../tests/helpers/folded.ts';
import { startInstance } from '../tests/helpers/instance.ts';
import { registerApiSource } from '../tests/helpers/sources.ts';
import { startBareServer } from './bare-server.ts';
import { rssPeakWhile } from './measure.ts';

const MiB = 1024 * 1024;
type Tally = { latencies: number[]; errors: number; retries: number };

// As the page: retry a busy server or a failed connection with backoff up to 30 s, for 15 minutes.
const GIVE_UP_MS = 15 * 60_000;

/** One request; 503 (busy) and connection failures are retried, as the page does; anything else is an error. */
async function send(url: string, method: string, headers: Record<string, string>, body: Uint8Array, tally: Tally): Promise<string> {
  const since = performance.now();
  for (let attempt = 1; ; attempt++) {
    const started = performance.now();
    const answer = await new Promise<{ status: number; text: string }>((resolve) => {
      const req = http.request(url, { method, headers: { ...headers, 'content-length': String(body.length) } }, (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.on('error', () => resolve({ status: 0, text: '' }));
      req.end(body);
    });
    tally.latencies.push(performance.now() - started);
    if (answer.status >= 200 && answer.status < 300) return answer.text;
    if ((answer.status !== 503 && answer.status !== 0) || performance.now() - since > GIVE_UP_MS) {
      tally.errors++;
      return '';
    }
    tally.retries++;
    await new Promise((r) => setTimeout(r, Math.min(30_000, 250 * 2 ** attempt) * (0.75 + Math.random() / 2)));
  }
}

const p99 = (xs: number[]) => Math.round([...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.99)] ?? 0);

async function sealdropRun(clients: number, file: Buffer): Promise<{ tally: Tally; seconds: number; rssPeakMiB: number }> {
  const instance = await startInstance({ SEALDROP_MAX_FILE_BYTES: String(8 * 1024 * MiB) });
  try {
    const pair = await generateKeyPair({ name: 'Bench' });
    await instance.addJournalist('bench', pair.publicKey);
    const sealer = new SubmissionSealer({ submission: '0'.repeat(32), name: 'b', type: 'application/octet-stream', recipients: [(await readJournalistKey(pair.publicKey)).key] });
    const parts: Uint8Array[] = [];
    for await (const p of sealFile(sealer, file.length, async (s, e) => file.subarray(s, e))) parts.push(p);
    const manifest = await sealer.sealManifest(); // the server cannot read it, so one serves every client
    const { token } = await registerApiSource(instance.sourceUrl);
    const tally: Tally = { latencies: [], errors: 0, retries: 0 };
    const base = instance.sourceUrl;
    /** One folded request: part n, the last with the manifest. A repeat changes nothing, so a retry sends it again. */
    const fold = async (secret: string, n: number): Promise<boolean> => {
      const r = foldedRequest({ n, head: { parts: parts.length }, part: parts[n - 1]!, manifest: n === parts.length ? manifest : null, secret, token });
      const text = await send(`${base}${r.path}`, 'POST', r.headers, r.body, tally);
      return (JSON.parse(text || '{}') as { done?: boolean }).done === true;
    };
    const one = async () => {
      // As the page (client/source/upload.ts): a secret made for each upload, two requests in flight.
      const secret = newSecret();
      let next = 1;
      let done = false;
      const lane = async () => {
        while (next <= parts.length) done = (await fold(secret, next++)) || done;
      };
      await Promise.all([lane(), lane()]);
      if (!done) tally.errors++;
    };
    const { seconds, rssPeakMiB } = await rssPeakWhile(() => Promise.all(Array.from({ length: clients }, one)));
    if (instance.store.submissions.listComplete().length !== clients) tally.errors++;
    return { tally, seconds, rssPeakMiB };
  } finally {
    await instance.stop();
  }
}

async function bareRun(clients: number, file: Buffer): Promise<{ tally: Tally; seconds: number; rssPeakMiB: number }> {
  const bare = await startBareServer();
  try {
    const boundary = 'bench';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b"\r\nContent-Type: application/octet-stream\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const tally: Tally = { latencies: [], errors: 0, retries: 0 };
    const { seconds, rssPeakMiB } = await rssPeakWhile(() => Promise.all(Array.from({ length: clients }, () => send(`${bare.url}/upload`, 'POST', { 'content-type': `multipart/form-data; boundary=${boundary}` }, body, tally))));
    return { tally, seconds, rssPeakMiB };
  } finally {
    await bare.close();
  }
}

export async function benchConcurrency(): Promise<void> {
  const clients = Number(process.env.BENCH_CONC_CLIENTS ?? 50);
  const mib = Number(process.env.BENCH_CONC_MIB ?? 64);
  const file = randomBytes(mib * MiB);
  const s = await sealdropRun(clients, file);
  const b = await bareRun(clients, file);
  const MBps = (r: { seconds: number }) => +((clients * mib * MiB) / 1e6 / r.seconds).toFixed(1);
  console.log(JSON.stringify({
    name: 'server_concurrency', clients, mibEach: mib, sealdropMBps: MBps(s), bareMBps: MBps(b), ratio: +(MBps(s) / MBps(b)).toFixed(2), target: '>= 0.9, 0 errors',
    sealdropErrors: s.tally.errors, bareErrors: b.tally.errors, sealdropP99Ms: p99(s.tally.latencies), bareP99Ms: p99(b.tally.latencies),
    sealdropRetries: s.tally.retries, bareRetries: b.tally.retries, sealdropPeakRssMiB: s.rssPeakMiB, barePeakRssMiB: b.rssPeakMiB,
  }));
}
