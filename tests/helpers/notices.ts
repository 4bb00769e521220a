import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { partCountFor, SubmissionSealer, type PublicKey } from '../../common/envelope/index.ts';

/** A real HTTP receiver for the webhook (node:http on loopback): every request, as it came. */
export type HookReceiver = { url: string; posts: { method: string; type: string; body: string; at: number }[]; failNext(n: number): void; refusals(): number; stop(): Promise<void> };

export async function startHookReceiver(): Promise<HookReceiver> {
  const posts: HookReceiver['posts'] = [];
  let failing = 0;
  let refused = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (failing > 0) {
        failing -= 1;
        refused += 1;
        return void res.writeHead(503).end();
      }
      posts.push({ method: req.method ?? '', type: req.headers['content-type'] ?? '', body, at: Date.now() });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook?topic=desk`,
    posts,
    failNext: (n) => void (failing = n),
    refusals: () => refused,
    stop: () => new Promise((r) => server.close(() => r())),
  };
}

/** One file sent exactly as the page sends it (open, parts, manifest, complete); returns the submission id. */
export async function sendThroughApi(sourceUrl: string, token: string, recipients: PublicKey[], name: string, data: Uint8Array, partSize: number): Promise<string> {
  const secret = randomBytes(32).toString('hex');
  const parts = partCountFor(data.length, partSize);
  const open = await fetch(`${sourceUrl}/api/submissions`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-source-token': token }, body: JSON.stringify({ parts, secret }) });
  if (open.status !== 201) throw new Error(`opening the upload answered ${open.status}`);
  const id = ((await open.json()) as { submission: string }).submission;
  const put = async (path: string, body: Uint8Array) => {
    const res = await fetch(`${sourceUrl}/api/submissions/${id}/${path}`, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', 'x-upload-secret': secret }, body: body as BodyInit });
    if (res.status !== 204) throw new Error(`${path} answered ${res.status}`);
  };
  const sealer = new SubmissionSealer({ submission: id, name, type: 'application/pdf', recipients, partSize });
  let n = 0;
  for (let at = 0; data.length - at >= partSize; at += partSize) await put(`parts/${++n}`, await sealer.sealPart(data.subarray(at, at + partSize)));
  for await (const part of sealer.sealEnd(data.subarray(n * partSize))) await put(`parts/${++n}`, part);
  if (n !== parts) throw new Error(`sealed ${n} parts, opened ${parts}`);
  await put('manifest', await sealer.sealManifest());
  const done = await fetch(`${sourceUrl}/api/submissions/${id}/complete`, { method: 'POST', headers: { 'x-upload-secret': secret } });
  if (done.status !== 204) throw new Error(`complete answered ${done.status}`);
  return id;
}

/** A mail's headers (unfolded, names lower-cased) and its body with the transfer encoding undone. */
export function readMail(raw: string): { headers: Record<string, string>; body: string } {
  const split = raw.indexOf('\r\n\r\n') >= 0 ? raw.indexOf('\r\n\r\n') : raw.indexOf('\n\n');
  const head = raw.slice(0, split).replace(/\r?\n[ \t]+/g, ' ');
  const headers = Object.fromEntries(head.split(/\r?\n/).map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
  const encoded = raw.slice(split).replace(/^\s+/, '');
  const cte = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  const body =
    cte === 'base64' ? Buffer.from(encoded.replace(/\s+/g, ''), 'base64').toString('utf8')
    : cte === 'quoted-printable' ? Buffer.from(encoded.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16))), 'latin1').toString('utf8')
    : encoded;
  return { headers, body: body.replace(/\r\n/g, '\n').replace(/\n+$/, '') };
}
