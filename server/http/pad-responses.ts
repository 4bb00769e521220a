// The source listener's response finisher: the one place where a response's size stops depending
// on its reader's language (padding.ts says how). Routes that render words say how long their body
// would be in every language (sendPage, or declareLongest); the finisher pads every text body to
// its class, and strips the language headers from everything else (no body, a file, a stream);
// an answer to HEAD gets a Padding header in place of the body.
// It also gives every reader the language cookie, so that requests do not differ by language.
import type { ServerResponse } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { declaredLongest, declareLongest, inEveryLanguage, isPadded, padBody } from './padding.ts';
import { isLanguageCookie, longestLanguageHeaders } from '../i18n/cookie.ts';
import { rememberLanguage, tOf } from '../i18n/middleware.ts';
import type { Translator } from '../i18n/index.ts';

const TEXT = /^(?:text\/|application\/json\b)/i;
const bodiless = (status: number) => status < 200 || status === 204 || status === 304;

/**
 * A static file, a logo, a reply's ciphertext or an empty answer is the same in every language:
 * only the language headers could tell, so they are left off.
 */
function withoutLanguageHeaders(res: ServerResponse): void {
  res.removeHeader('Content-Language');
  const cookies = res.getHeader('Set-Cookie');
  if (cookies === undefined) return;
  const kept = (Array.isArray(cookies) ? cookies : [String(cookies)]).filter((c) => !isLanguageCookie(c));
  if (kept.length) res.setHeader('Set-Cookie', kept);
  else res.removeHeader('Set-Cookie');
}

// The most bytes the language headers can take on the wire ("Name: value\r\n" each).
const line = (name: string, value: string) => name.length + value.length + 4;
const LANGUAGE_ROOM = longestLanguageHeaders().reduce((sum, [name, value]) => sum + line(name, value), 0);

/**
 * A HEAD answer has exactly the headers GET would have (its padded Content-Length, whose digits
 * are the same in every language, and the language headers), but no body to even out how long the
 * language headers are. A Padding header does instead: it brings them to the room the longest
 * language needs, so the whole head is one size whatever the language (or the cookie sent).
 */
function padHeadOnly(res: ServerResponse): void {
  let used = 0;
  const language = res.getHeader('Content-Language');
  if (language !== undefined) used += line('Content-Language', String(language));
  const cookies = res.getHeader('Set-Cookie');
  for (const c of cookies === undefined ? [] : Array.isArray(cookies) ? cookies : [String(cookies)]) if (isLanguageCookie(c)) used += line('Set-Cookie', c);
  res.setHeader('Padding', '-'.repeat(1 + Math.max(0, LANGUAGE_ROOM - used)));
}

/** Mounted first on the source app, so that every response it sends, refusals included, passes here. */
export function padResponses(): RequestHandler {
  return (req, res, next) => {
    // What the browser sends back must not say the language either: every reader gets the cookie.
    rememberLanguage(req, res);
    const send = res.send;
    res.send = function padded(this: Response, body?: unknown) {
      if (typeof body === 'string' && !bodiless(this.statusCode)) {
        // As express is about to: a string without a type is HTML, and text goes as UTF-8.
        if (!this.get('Content-Type')) this.type('html');
        else this.set('Content-Type', this.get('Content-Type'));
        if (TEXT.test(this.get('Content-Type')!)) body = padBody(this, body, declaredLongest(this));
      }
      return send.call(this, body);
    } as Response['send'];
    const headOnly = req.method === 'HEAD';
    const writeHead = res.writeHead;
    res.writeHead = function head(this: Response, ...args: unknown[]) {
      if (!isPadded(this)) withoutLanguageHeaders(this);
      if (headOnly) padHeadOnly(this);
      return (writeHead as (...a: unknown[]) => Response).apply(this, args);
    } as Response['writeHead'];
    next();
  };
}

export type PageOptions = { type?: 'html' | 'json'; atLeast?: number };

/**
 * Sends a body rendered in the reader's language, padded to what the longest language needs (and
 * to at least `atLeast` bytes: room for what a page holds, such as replies, so their length does
 * not show either). The status is the caller's, set before.
 */
export function sendPage(res: Response, render: (t: Translator) => string, { type = 'html', atLeast = 0 }: PageOptions = {}): void {
  const { own, longest } = inEveryLanguage(tOf(res), render);
  declareLongest(res, Math.max(longest, atLeast));
  res.type(type).send(own);
}
