// The language cookie. Every reader gets one on the first page they are shown, whether or not they
// ever touch the switch, and its value is a code of one width for every language: so the Cookie
// header a browser sends back is the same length for an English reader who never chose and for a
// Uyghur reader who did (Tor Browser asks every site for en-US, so before this the mere presence of
// the cookie, and its length, picked out the readers the drop exists for).
import type { IncomingMessage } from 'node:http';
import { isLanguage, LANGUAGES } from '../../common/i18n/languages.ts';
import { cookieValue } from '../http/cookies.ts';

const COOKIE = 'sealdrop-lang';

// A language's code is its place in LANGUAGES, zero-padded to one width ("0" English ... "3"
// Uyghur): a new language goes at the end, so a code a browser already holds keeps its meaning.
const WIDTH = String(LANGUAGES.length - 1).length;

export const languageCode = (tag: string): string => String(Math.max(0, LANGUAGES.findIndex((l) => l.tag === tag))).padStart(WIDTH, '0');

/** A code, or a tag (as earlier versions wrote the cookie and the links), to its shipped tag; anything else is not a language. */
export function languageOfCode(value: unknown): string | undefined {
  if (isLanguage(value)) return value;
  if (typeof value !== 'string' || value.length !== WIDTH || !/^[0-9]+$/.test(value)) return undefined;
  return LANGUAGES[Number(value)]?.tag;
}

// HttpOnly: no script needs it. No Max-Age or Expires: gone when the browser closes.
export const languageCookie = (tag: string, secure: boolean): string => `${COOKIE}=${languageCode(tag)}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** Whether a Set-Cookie value is the language cookie (the padding counts it with the language headers). */
export const isLanguageCookie = (setCookie: string): boolean => setCookie.startsWith(`${COOKIE}=`);

/** Every language header a response can carry, at its longest: the padding keeps room for them in every response. */
export function longestLanguageHeaders(): [string, string][] {
  const tag = LANGUAGES.map((l) => l.tag).reduce((a, b) => (b.length > a.length ? b : a));
  return [['Content-Language', tag], ['Set-Cookie', languageCookie(tag, true)]];
}

/** The language the request's cookie names, and whether the cookie is already in today's form (else it is written again). */
export function cookieLanguage(req: IncomingMessage): { tag: string; current: boolean } | undefined {
  const value = cookieValue(req, COOKIE);
  const tag = languageOfCode(value);
  return tag === undefined ? undefined : { tag, current: value === languageCode(tag) };
}
