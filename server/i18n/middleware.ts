import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { isLanguage, negotiate } from '../../common/i18n/languages.ts';
import { translator, type Translator } from './index.ts';
import { cookieValue, isPlainHttpHost } from '../http/cookies.ts';

// The chosen language lives only in the address (?lang=) and a browser-session cookie: the server
// keeps no record of who reads which language. HttpOnly: no script needs it.
const COOKIE = 'sealdrop-lang';

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
    if (isLanguage(asked) && asked !== cookieLanguage(req)) res.append('Set-Cookie', `${COOKIE}=${asked}; Path=/; HttpOnly; SameSite=Lax${isPlainHttpHost(req) ? '' : '; Secure'}`);
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
