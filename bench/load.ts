// 200 sources at once against Sealdrop (the load test's mix: codename logins, JS-path uploads,
// no-JS forms, a journalist reloading the inbox), and the same number of clients posting the same
// forms with the same pauses to the bare upload server: does Sealdrop keep up with the offered load?
import { prepareLoad, runLoad } from '../tests/helpers/load.ts';
import { startBareServer } from './bare-server.ts';

const CLIENTS = Number(process.env.BENCH_LOAD_CLIENTS ?? 200);
const SECONDS = Number(process.env.BENCH_LOAD_SECONDS ?? 60);
const THINK: [number, number] = [3000, 6000];

/** The peer: each client posts a 27 KB form to the bare server, pausing as the load test's clients do. */
async function bareUploadsPerSecond(): Promise<{ perSecond: number; errors: number }> {
  const bare = await startBareServer();
  const deadline = Date.now() + SECONDS * 1000;
  let done = 0;
  let errors = 0;
  const body = `--b\r\nContent-Disposition: form-data; name="file"; filename="notes.txt"\r\n\r\n${'x'.repeat(27_000)}\r\n--b--\r\n`;
  const client = async () => {
    await new Promise((r) => setTimeout(r, Math.random() * THINK[1]));
    while (Date.now() < deadline) {
      const res = await fetch(`${bare.url}/upload`, { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=b' }, body }).catch(() => null);
      if (res?.ok) done++;
      else errors++;
      await res?.arrayBuffer();
      await new Promise((r) => setTimeout(r, THINK[0] + Math.random() * (THINK[1] - THINK[0])));
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: CLIENTS }, client));
  const seconds = (performance.now() - started) / 1000;
  await bare.close();
  return { perSecond: done / seconds, errors };
}

export async function benchLoad(): Promise<void> {
  const prepared = await prepareLoad(CLIENTS, SECONDS);
  let figures;
  try {
    figures = await runLoad({ ...prepared.options, thinkMs: THINK });
  } finally {
    await prepared.cleanup();
  }
  const sealdrop = (figures.actions.jsUploads + figures.actions.noScriptUploads) / figures.seconds;
  const bare = await bareUploadsPerSecond();
  console.log(JSON.stringify({
    name: 'load_200_sources', clients: CLIENTS, seconds: SECONDS,
    sealdropUploadsPerSecond: +sealdrop.toFixed(1), bareUploadsPerSecond: +bare.perSecond.toFixed(1), ratio: +(sealdrop / bare.perSecond).toFixed(2), target: '>= 0.9, 0 errors, inbox under 1000 ms',
    errors: figures.errors, bareErrors: bare.errors, retries: figures.retries, requestsPerSecond: figures.requestsPerSecond,
    inboxP50Ms: figures.inbox.p50Ms, inboxP99Ms: figures.inbox.p99Ms, inboxMaxMs: figures.inbox.maxMs, serverRssMiB: figures.serverRssMiB,
    actions: figures.actions,
  }));
}
