// Many sources at once: 50 clients each sending 64 MiB of envelope parts as the page does (folded
// sends, POST /api/sends/:n: two requests in flight, the last part with the manifest, completing
// the item), against the same bytes as 50 multipart posts to the bare server, in the same run.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { loadavg } from 'node:os';
import { generateKeyPair, readJournalistKey, sealFile, SubmissionSealer } from '../common/envelope/index.ts';
import { foldedRequest, newSecret } from '../tests/helpers/folded.ts';
import { startInstance } from '../tests/helpers/instance.ts';
import { registerApiSource } from '../tests/helpers/sources.ts';
import { startBareServer } from './bare-server.ts';
import { rssPeakWhile } from './measure.ts';

const MiB = 1024 * 1024;
type Tally = { latencies: number[]; errors: number; retries: number };
type Run = { tally: Tally; seconds: number; rssPeakMiB: number; cpuSeconds: number };

/** Several runs of one side as one: their time, CPU, errors and latencies added, the highest peak. */
function joined(l: Run[]): Run | null {
  if (l.length === 0) return null;
  const tally = { latencies: l.flatMap((r) => r.tally.latencies), errors: l.reduce((n, r) => n + r.tally.errors, 0), retries: l.reduce((n, r) => n + r.tally.retries, 0) };
  const sum = (k: 'seconds' | 'cpuSeconds') => +l.reduce((n, r) => n + r[k], 0).toFixed(2);
  return { tally, seconds: sum('seconds'), cpuSeconds: sum('cpuSeconds'), rssPeakMiB: Math.max(...l.map((r) => r.rssPeakMiB)) };
}

/**
 * rssPeakWhile, and this process's CPU (user + system, all its threads) while `run` goes: the server and its clients
 * share the process on both sides, so the difference is each server's own work, less moved by the machine's load
 * than the rates are (the rates moved 0.38-0.87 at the same code at load 7-9).
 */
async function measured(run: () => Promise<unknown>): Promise<{ seconds: number; rssPeakMiB: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const { seconds, rssPeakMiB } = await rssPeakWhile(run);
  const used = process.cpuUsage(cpu);
  return { seconds, rssPeakMiB, cpuSeconds: +((used.user + used.system) / 1e6).toFixed(2) };
}

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

async function sealdropRun(clients: number, file: Buffer): Promise<Run> {
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
    // Each part number's request is made once, before the clock starts, as the peer's one body is: the body does not
    // depend on the secret (a header), and a concat per request in this process (the clients share it with the server)
    // was charged to the server (about 5% of the process's CPU at 20 × 16 MiB).
    const requests = parts.map((part, i) => foldedRequest({ n: i + 1, head: { parts: parts.length }, part, manifest: i === parts.length - 1 ? manifest : null, token }));
    /** One folded request: part n, the last with the manifest. A repeat changes nothing, so a retry sends it again. */
    const fold = async (secret: string, n: number): Promise<boolean> => {
      const r = requests[n - 1]!;
      const text = await send(`${base}${r.path}`, 'POST', { ...r.headers, 'x-upload-secret': secret }, r.body, tally);
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
    const m = await measured(() => Promise.all(Array.from({ length: clients }, one)));
    if (instance.store.submissions.listComplete().length !== clients) tally.errors++;
    return { tally, ...m };
  } finally {
    await instance.stop();
  }
}

async function bareRun(clients: number, file: Buffer): Promise<Run> {
  const bare = await startBareServer();
  try {
    const boundary = 'bench';
    const body = Buffer.concat([Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="b"\r\nContent-Type: application/octet-stream\r\n\r\n`), file, Buffer.from(`\r\n--${boundary}--\r\n`)]);
    const tally: Tally = { latencies: [], errors: 0, retries: 0 };
    const m = await measured(() => Promise.all(Array.from({ length: clients }, () => send(`${bare.url}/upload`, 'POST', { 'content-type': `multipart/form-data; boundary=${boundary}` }, body, tally))));
    return { tally, ...m };
  } finally {
    await bare.close();
  }
}

export async function benchConcurrency(): Promise<void> {
  const clients = Number(process.env.BENCH_CONC_CLIENTS ?? 50);
  const mib = Number(process.env.BENCH_CONC_MIB ?? 64);
  const file = randomBytes(mib * MiB);
  // BENCH_CONC_SIDE=sealdrop (or bare) runs one side alone, for a CPU profile of it; no ratio then.
  const side = process.env.BENCH_CONC_SIDE;
  const skipped: Run = { tally: { latencies: [], errors: 0, retries: 0 }, seconds: NaN, rssPeakMiB: 0, cpuSeconds: NaN };
  // Each side twice, bare, Sealdrop, Sealdrop, bare, each side's figure over its two runs: what the
  // kernel pays to copy the same bytes into the page cache depends on the memory it gets (memory
  // this VM handed back to its host costs more on first touch: 800 MiB of 4 MiB writes, 0.23 against
  // 0.77 s of kernel time in two runs a minute apart), and in the old order, Sealdrop then bare, the
  // bare server always wrote into the memory Sealdrop's run had just freed. Now each side has the
  // first place once and the last once.
  const order = side === 'bare' ? ['bare'] : side === 'sealdrop' ? ['sealdrop'] : ['bare', 'sealdrop', 'sealdrop', 'bare'];
  const runs: Record<string, Run[]> = { sealdrop: [], bare: [] };
  for (const which of order) runs[which]!.push(which === 'bare' ? await bareRun(clients, file) : await sealdropRun(clients, file));
  const s = joined(runs.sealdrop!) ?? skipped;
  const b = joined(runs.bare!) ?? skipped;
  // Over a side's runs: all their bytes over all their time (no runs: NaN, printed as null).
  const MBps = (l: Run[]) => +((l.length * clients * mib * MiB) / 1e6 / l.reduce((n, r) => n + r.seconds, 0)).toFixed(1);
  const each = (l: Run[]) => l.map((r) => MBps([r]));
  const [sMBps, bMBps] = [MBps(runs.sealdrop!), MBps(runs.bare!)];
  console.log(JSON.stringify({
    name: 'server_concurrency', clients, mibEach: mib, sealdropMBps: sMBps, bareMBps: bMBps, ratio: +(sMBps / bMBps).toFixed(2), target: '>= 0.9, 0 errors',
    sealdropErrors: s.tally.errors, bareErrors: b.tally.errors, sealdropP99Ms: p99(s.tally.latencies), bareP99Ms: p99(b.tally.latencies),
    sealdropRetries: s.tally.retries, bareRetries: b.tally.retries, sealdropPeakRssMiB: s.rssPeakMiB, barePeakRssMiB: b.rssPeakMiB,
    sealdropCpuSeconds: s.cpuSeconds, bareCpuSeconds: b.cpuSeconds, sealdropRunsMBps: each(runs.sealdrop!), bareRunsMBps: each(runs.bare!), order, loadAverage: +loadavg()[0]!.toFixed(2),
  }));
}
