import http from 'node:http';

export type RawAnswer = { status: number; location?: string; cookie: string; html: string };

/**
 * A form post on a connection of its own (no keep-alive pool): a refusal closes its connection
 * before reading all of the body, and a pooled client may otherwise reuse it for the next request.
 * `cookie` is the source session cookie the answer set, if any.
 */
export function rawPost(url: string, body: string | Buffer, type: string, cookie = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body), cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, location: res.headers.location, cookie: /^(__Host-sealdrop-source=[\w-]+)/.exec(String(res.headers['set-cookie'] ?? ''))?.[1] ?? '', html: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}
