// Memory of the no-JavaScript path: the server encrypts a streamed upload while holding about one part.
import http from 'node:http';
import { randomBytes } from 'node:crypto';
import { generateKeyPair } from '../common/envelope/index.ts';
import { startInstance } from '../tests/helpers/instance.ts';

const MiB = 1024 * 1024;

export async function benchNoScript(fileMiB: number): Promise<void> {
  const instance = await startInstance();
  await instance.addJournalist('bench', (await generateKeyPair({ name: 'Bench' })).publicKey);
  const boundary = 'bench-boundary';
  const base = process.memoryUsage().rss;
  let peak = base;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const started = performance.now();
  const status = await new Promise<number>((resolve, reject) => {
    const req = http.request(`${instance.sourceUrl}/submit`, { method: 'POST', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } });
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.write(`--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n`);
    let sent = 0;
    const chunk = randomBytes(MiB);
    const pump = () => {
      while (sent < fileMiB) {
        sent++;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      req.end(`\r\n--${boundary}--\r\n`);
    };
    pump();
  });
  const ms = performance.now() - started;
  clearInterval(timer);
  await instance.stop();
  console.log(JSON.stringify({ name: 'nojs-upload', fileMiB, status, MiBps: +(fileMiB / (ms / 1000)).toFixed(1), peakRssGrowthMiB: +((peak - base) / MiB).toFixed(1), partMiB: 4 }));
}
