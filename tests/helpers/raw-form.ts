import http from 'node:http';

// A browser's form post without a browser (JavaScript off is what the server sees either way):
// the answer's status, its session cookie if it set one, and its page.
export type RawAnswer = { status: number; location?: string; cookie: string; setCookie: string[]; html: string };
export const BOUNDARY = 'sealdrop-raw-form';

export function rawPost(url: string, body: string, type: string, cookie = ''): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', agent: false, headers: { 'content-type': type, 'content-length': Buffer.byteLength(body), cookie } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const setCookie = res.headers['set-cookie'] ?? [];
        const cookie = /^(__Host-sealdrop-source=[\w-]+)/.exec(setCookie.join('\n'))?.[1] ?? '';
        resolve({ status: res.statusCode!, location: res.headers.location, cookie, setCookie, html: Buffer.concat(chunks).toString() });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

const part = (name: string, value: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
const file = (name: string, bytes: string) => `--${BOUNDARY}\r\nContent-Disposition: form-data; name="files"; filename="${name}"\r\nContent-Type: text/plain\r\n\r\n${bytes}\r\n`;

/** The start page's send form, as Firefox posts it without JavaScript: token, message, then the files. */
export function postSend(sourceUrl: string, { once = '', message = '', files = [] as { name: string; bytes: string }[], cookie = '' }): Promise<RawAnswer> {
  const body = `${part('once', once)}${part('message', message)}${files.map((f) => file(f.name, f.bytes)).join('')}--${BOUNDARY}--\r\n`;
  return rawPost(`${sourceUrl}/submit`, body, `multipart/form-data; boundary=${BOUNDARY}`, cookie);
}

/** A urlencoded form (codename first, login, Leave). */
export const postForm = (url: string, fields: Record<string, string>, cookie = '') =>
  rawPost(url, new URLSearchParams(fields).toString(), 'application/x-www-form-urlencoded', cookie);

export const onceIn = (html: string) => /<input type="hidden" name="once" value="([\w-]+)">/.exec(html)?.[1] ?? '';
export const leaveCsrfIn = (html: string) => /<form class="leave" method="post" action="\/leave"><input type="hidden" name="csrf" value="([\w-]+)">/.exec(html)?.[1];
export const typedMessageIn = (html: string) => /<textarea id="message" name="message"[^>]*>([^<]*)<\/textarea>/.exec(html)?.[1];
