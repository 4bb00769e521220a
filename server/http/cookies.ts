// Reading a request's cookies and its Host: shared by the session cookies and the language cookie.
import type { IncomingMessage } from 'node:http';

/** The value of one cookie the request carries, as sent (the caller validates it). */
export function cookieValue(req: IncomingMessage, cookie: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookie) return value.join('=');
  }
  return undefined;
}

/** The Host the browser asked for, lower case and without its port. */
const hostOf = (req: IncomingMessage): string => (req.headers.host ?? '').toLowerCase().replace(/:\d{1,5}$/, '');

/**
 * Whether this request came for an onion address. Tor encrypts and authenticates such a connection
 * end to end, so a cookie without Secure can neither leak nor be planted on the way; yet outside
 * Tor Browser an http .onion page is not a secure context, and the browser refuses Secure (and so
 * __Host-) cookies there. The Host header is the browser's own, for the page it is on.
 */
export const isOnionRequest = (req: IncomingMessage): boolean => /^(?:[a-z0-9-]+\.)+onion$/.test(hostOf(req));

/** An onion, or this machine: hosts reached over plain http where a Secure cookie would be dropped. */
export const isPlainHttpHost = (req: IncomingMessage): boolean => isOnionRequest(req) || ['localhost', '127.0.0.1', '[::1]'].includes(hostOf(req));
