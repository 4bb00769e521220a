import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { isLanguage, LANGUAGES, negotiate } from '../../common/i18n/languages.ts';
import { translator, type Translator } from './index.ts';
import { cookieValue, isPlainHttpHost } from '../http/cookies.ts';

// The chosen language lives only in the address (?lang=) and a browser-session cookie: the server
// keeps no record of who reads which language. HttpOnly: no script needs it.
const COOKIE = 'sealdrop-lang';

const languageCookie = (tag: string, secure: boolean) => `${COOKIE}=${tag}; Path=/; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;

/** Whether a Set-Cookie value is this middleware's (the padding counts it with the language headers). */
export const isLanguageCookie = (setCookie: string): boolean => setCookie.startsWith(`${COOKIE}=`);

/** Every header this middleware can add, at its longest: the padding keeps room for them in every response. */
export function longestLanguageHeaders(): [string, string][] {
  const tag = LANGUAGES.map((l) => l.tag).reduce((a, b) => (b.length > a.length ? b : a));
  return [['Content-Language', tag], ['Set-Cookie', languageCookie(tag, true)]];
}

function cookieLanguage(req: IncomingMessage): string | undefined {
  const value = cookieValue(req, COOKIE);
  return isLanguage(value) ? value : undefined;
}

/** Picks the language: ?lang= (then remembered for this browser session), the cookie, Accept-Language. */
export function chooseLanguage(): RequestHandler {
  return (req, res, next) => {
    const asked = req.query.lang;
    // Secure off the onion and this machine (a clearnet mirror behind TLS), so a forced downgrade
    // to http cannot show that this browser visited, or in which language.
    if (isLanguage(asked) && asked !== cookieLanguage(req)) res.append('Set-Cookie', languageCookie(asked, !isPlainHttpHost(req)));
    const lang = isLanguage(asked) ? asked : requestLanguage(req);
    // Relative ("?lang=…"): nothing of the request's path goes into the page, so a path such as
    // "//elsewhere.example/" cannot turn the switch into a link to another site.
    const here = req.method === 'GET' || req.method === 'HEAD' ? '' : '/';
    res.locals.t = translator(lang, here);
    res.setHeader('Content-Language', lang);
    res.vary('Accept-Language');
    next();
  };
}

/** The language a request asks for by its headers alone (no address): cookie, then Accept-Language. */
export const requestLanguage = (req: IncomingMessage): string => cookieLanguage(req) ?? negotiate(req.headers['accept-language']);

/** The request's translator (English before the middleware ran, e.g. for a refused header). */
export const tOf = (res: Response): Translator => (res.locals.t as Translator | undefined) ?? translator('en');
