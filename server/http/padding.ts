// What a traffic observer sees of a source's page is the length of the whole response (status
// line, headers, body), counted in Tor cells of 498 bytes. Pages in Uyghur and Chinese are longer
// than in English, so without padding the length alone picks out the readers the drop exists for.
// Every text response on the source listener is therefore padded so that its status line, headers
// and body together come to a size class computed from the longest language's rendering only:
// the same number of bytes, to the byte, whichever language (and language cookie) the reader has.
import { STATUS_CODES, type ServerResponse } from 'node:http';
import { LANGUAGES } from '../../common/i18n/languages.ts';
import { translator, type Translator } from '../i18n/index.ts';
import { isLanguageCookie, longestLanguageHeaders } from '../i18n/cookie.ts';

/**
 * The size classes, in bytes on the wire: multiples of 512 (about one Tor cell) up to 8 KiB, then
 * steps of an eighth of the power of two below (1 KiB from 8 KiB, 2 KiB from 16 KiB, ...): at most
 * 12.5% more, so a length within a class says nothing finer about what the page holds.
 */
export function sizeClass(bytes: number): number {
  const step = Math.max(512, 2 ** (Math.floor(Math.log2(Math.max(bytes, 1))) - 3));
  return Math.ceil(bytes / step) * step;
}

// Node adds these itself after the app has set its headers (the same for every language):
// counted so that a kept-alive response lands on its class exactly.
const NODE_ADDED = 'Date: Sun, 06 Dec 2026 08:00:00 GMT\r\nConnection: keep-alive\r\nKeep-Alive: timeout=5\r\n\r\n'.length;
const line = (name: string, value: string) => name.length + value.length + 4; // "Name: value\r\n"
const CONTENT_LENGTH = line('Content-Length', '');
// The most the language headers can take (the longest tag, a language cookie, Secure).
const LANGUAGE_ROOM = longestLanguageHeaders().reduce((sum, [name, value]) => sum + line(name, value), 0);

/** The response's head in bytes, apart from Content-Length: the part that no language changes, and the part the language headers take. */
function headBytes(res: ServerResponse): { fixed: number; language: number } {
  let fixed = `HTTP/1.1 ${res.statusCode} ${res.statusMessage || STATUS_CODES[res.statusCode] || ''}\r\n`.length + NODE_ADDED;
  let language = 0;
  for (const name of res.getHeaderNames()) {
    if (name === 'content-length') continue;
    const value = res.getHeader(name);
    for (const v of Array.isArray(value) ? value : [String(value)]) {
      const bytes = line(name, v);
      if (name === 'content-language' || (name === 'set-cookie' && isLanguageCookie(v))) language += bytes;
      else fixed += bytes;
    }
  }
  return { fixed, language };
}

const digits = (n: number) => String(n).length;

/**
 * The body length that brings this response to `total` bytes. Content-Length's own digits count
 * too: a total is used only if every amount of language headers (0 to LANGUAGE_ROOM) leaves the
 * body the same number of digits, so the total is exact whatever the language; else the next class.
 */
function bodyLength(fixed: number, language: number, least: number): number {
  let total = sizeClass(fixed + CONTENT_LENGTH + digits(least) + 1 + LANGUAGE_ROOM + least);
  for (;;) {
    const room = total - fixed - CONTENT_LENGTH;
    for (let d = 1; d <= 16; d++) {
      if (digits(room - d - LANGUAGE_ROOM) === d && digits(room - d) === d && room - d - LANGUAGE_ROOM >= least) return room - d - language;
    }
    total = sizeClass(total + 1);
  }
}

/** Padding that every reader ignores: a comment after the document, or spaces (which JSON and plain text allow). */
function filler(type: string, bytes: number): string {
  if (bytes >= 7 && /^text\/html\b/i.test(type)) return `<!--${' '.repeat(bytes - 7)}-->`;
  return ' '.repeat(bytes);
}

const PADDED = Symbol('padded');
const LONGEST = Symbol('longest');
type Marked = ServerResponse & { [PADDED]?: true; [LONGEST]?: number };

/**
 * `body` (the reader's own) padded so that the whole response comes to the class of `longest`,
 * the most bytes its body takes in any language. Call it once the status and every header but
 * Content-Length are set; the caller sends exactly the string returned.
 */
export function padBody(res: ServerResponse, body: string, longest: number): string {
  const own = Buffer.byteLength(body);
  const { fixed, language } = headBytes(res);
  const length = bodyLength(fixed, language, Math.max(own, longest));
  (res as Marked)[PADDED] = true;
  return body + filler(String(res.getHeader('content-type') ?? ''), Math.max(0, length - own));
}

/** Renders a body in every language: the reader's copy, and the most bytes any language needs. */
export function inEveryLanguage(t: Translator, render: (t: Translator) => string): { own: string; longest: number } {
  let own = '';
  let longest = 0;
  for (const { tag } of LANGUAGES) {
    const text = render(tag === t.tag ? t : translator(tag, t.here));
    if (tag === t.tag) own = text;
    longest = Math.max(longest, Buffer.byteLength(text));
  }
  return { own, longest };
}

/** Tells the finisher the most bytes this response's body could take in any language (else: its own length). */
export function declareLongest(res: ServerResponse, bytes: number): void {
  (res as Marked)[LONGEST] = Math.max(bytes, (res as Marked)[LONGEST] ?? 0);
}

export const declaredLongest = (res: ServerResponse): number => (res as Marked)[LONGEST] ?? 0;
export const isPadded = (res: ServerResponse): boolean => (res as Marked)[PADDED] === true;
