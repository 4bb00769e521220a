// The language switch's answer. A link such as "?lang=3" puts the choice in the cookie and sends
// the browser back to the same address without `lang`: no page address, and so no Referer and no
// form posted from a page, ever carries the language. The redirect is padded like every page.
import querystring from 'node:querystring';
import type { Response } from 'express';
import { padBody } from '../http/padding.ts';

/** Outside RFC 3986's characters, and a backslash (which browsers read as "/"): percent-encoded. */
const encode = (s: string) =>
  s.replace(/[^A-Za-z0-9\-._~!$&'()*+,;=:@%/?]/g, (c) => (c.charCodeAt(0) > 0xff ? encodeURIComponent(c) : `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`));

/**
 * The request's own address without its `lang` parameters (the others kept, in order), as a
 * reference relative to it: "./" and the last path segment, so nothing of the path before it can
 * make the redirect lead elsewhere (a request for "//evil.example/x" goes to "./x", on this site).
 */
export function addressWithoutLanguage(url: string): string {
  const at = url.indexOf('?');
  const path = at < 0 ? url : url.slice(0, at);
  const kept = (at < 0 ? '' : url.slice(at + 1)).split('&').filter((p) => p !== '' && querystring.unescape(p.split('=')[0]!.replace(/\+/g, ' ')) !== 'lang');
  return encode(`./${path.slice(path.lastIndexOf('/') + 1)}${kept.length ? `?${kept.join('&')}` : ''}`);
}

/** Answers 303 to the address without `lang`; the caller has set the cookie. */
export function switchedTo(url: string, res: Response): void {
  res.removeHeader('Content-Language');
  res.status(303).setHeader('Location', addressWithoutLanguage(url));
  res.type('html');
  const body = padBody(res, '', 0);
  res.setHeader('Content-Length', Buffer.byteLength(body));
  res.end(body);
}
