import net from 'node:net';

/** One response as it crossed the wire: what a traffic observer counts, byte for byte. */
export type Wire = { status: number; head: string; headers: Map<string, string[]>; body: Buffer; total: number };

export type RawRequest = { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer };

/** Sends one request over a fresh connection (Connection: close) and reads everything the server sends back. */
export function onTheWire(baseUrl: string, { method = 'GET', path, headers = {}, body }: RawRequest): Promise<Wire> {
  const url = new URL(baseUrl);
  const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(body);
  const all: Record<string, string> = { host: url.host, connection: 'close', ...headers };
  if (body !== undefined) all['content-length'] = String(payload.length);
  const head = `${method} ${path} HTTP/1.1\r\n${Object.entries(all).map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return new Promise((resolve, reject) => {
    const socket = net.connect(Number(url.port), url.hostname);
    const chunks: Buffer[] = [];
    socket.on('data', (d) => chunks.push(d));
    socket.on('error', reject);
    socket.on('close', () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return reject(new Error(`no response to ${method} ${path}`));
      const text = raw.subarray(0, end).toString('latin1');
      const headers = new Map<string, string[]>();
      for (const line of text.split('\r\n').slice(1)) {
        const at = line.indexOf(':');
        const name = line.slice(0, at).toLowerCase();
        headers.set(name, [...(headers.get(name) ?? []), line.slice(at + 1).trim()]);
      }
      resolve({ status: Number(text.split(' ')[1]), head: text, headers, body: raw.subarray(end + 4), total: raw.length });
    });
    socket.write(Buffer.concat([Buffer.from(head, 'latin1'), payload]));
  });
}
