import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'puppeteer-core';
import { launchFirefox, type SecurityLevel } from './firefox.ts';

/**
 * A stand-in for Tor's SOCKS port: a tiny HTTP forward proxy that answers for one made-up
 * `http://<56 base32 chars>.onion/` and passes every request for it, Host header untouched (as
 * Tor does), to a local listener. Anything else is refused, so a stray browser request fails loudly.
 */
export type OnionProxy = { port: number; onion: string; url: string; close(): Promise<void> };

const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';
// Hop-by-hop headers belong to one connection, not to the request being forwarded.
const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'proxy-authorization', 'te', 'trailer', 'upgrade']);

/** 56 characters like a v3 onion address (not a valid key: nothing here checks one). */
export function randomOnion(): string {
  return `${[...randomBytes(56)].map((b) => BASE32[b % 32]).join('')}.onion`;
}

const endToEnd = (headers: http.IncomingHttpHeaders) => Object.fromEntries(Object.entries(headers).filter(([name]) => !HOP_BY_HOP.has(name)));

export async function startOnionProxy(target: string, onion: string = randomOnion()): Promise<OnionProxy> {
  const { hostname, port } = new URL(target);
  const server = http.createServer((req, res) => {
    let url: URL;
    try {
      url = new URL(req.url ?? '');
    } catch {
      return void res.writeHead(400).end('absolute-form requests only');
    }
    if (url.protocol !== 'http:' || url.host !== onion) return void res.writeHead(502).end('unknown onion');
    const upstream = http.request({ host: hostname, port, method: req.method, path: `${url.pathname}${url.search}`, headers: endToEnd(req.headers), agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (_req, socket) => socket.end('HTTP/1.1 405 Method Not Allowed\r\n\r\n')); // no TLS tunnels
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    onion,
    url: `http://${onion}`,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/**
 * Firefox ESR at a Tor Browser security level, browsing through the proxy. By default without
 * Tor Browser's `dom.securecontext.allowlist_onions`, so an http .onion page is NOT a secure
 * context there (no WebCrypto, no Secure cookies, no Sec-Fetch-* headers), as in any other browser.
 */
export function launchFirefoxViaProxy(level: SecurityLevel, proxy: OnionProxy, { onionIsSecure = false } = {}): Promise<Browser> {
  return launchFirefox(level, {
    'dom.securecontext.allowlist_onions': onionIsSecure,
    'network.proxy.type': 1,
    'network.proxy.http': '127.0.0.1',
    'network.proxy.http_port': proxy.port,
    'network.proxy.share_proxy_settings': false,
    'network.proxy.no_proxies_on': '',
    'network.dns.blockDotOnion': false,
  });
}
