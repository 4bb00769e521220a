import type { IncomingMessage } from 'node:http';
import type { RequestHandler, Response } from 'express';
import { negotiate } from '../../common/i18n/languages.ts';
import { translator, type Translator } from './index.ts';
import { isPlainHttpHost } from '../http/cookies.ts';
import { cookieLanguage, isLanguageCookie, languageCookie, languageOfCode } from './cookie.ts';
import { switchedTo } from './switch.ts';

// The chosen language lives only in a browser-session cookie (cookie.ts): the server keeps no
// record of who reads which language.

// Secure off the onion and this machine (a clearnet mirror behind TLS), so a forced downgrade to
// http cannot show that this browser visited, or in which language.
const writeCookie = (req: IncomingMessage, res: Response, tag: string) => res.append('Set-Cookie', languageCookie(tag, !isPlainHttpHost(req)));

/**
 * Picks the language: ?lang= (the switch), the cookie, Accept-Language. The cookie is written when
 * the switch chooses, or to rewrite one in an earlier form. A switch link (GET or HEAD) is answered
 * with a redirect to the same address without `lang`; a form posted to an old address with ?lang=
 * is answered in that language where it is.
 */
export function chooseLanguage(): RequestHandler {
  return (req, res, next) => {
    const asked = languageOfCode(req.query.lang);
    const held = cookieLanguage(req);
    const lang = asked ?? held?.tag ?? negotiate(req.headers['accept-language']);
    if (held ? !held.current || held.tag !== lang : asked !== undefined) writeCookie(req, res, lang);
    if (asked && (req.method === 'GET' || req.method === 'HEAD')) return switchedTo(req.originalUrl, res);
    // Relative ("?lang=…"): nothing of the request's path goes into the page, so a path such as
    // "//elsewhere.example/" cannot turn the switch into a link to another site.
    const here = req.method === 'GET' || req.method === 'HEAD' ? '' : '/';
    res.locals.t = translator(lang, here);
    res.setHeader('Content-Language', lang);
    res.vary('Accept-Language');
    next();
  };
}

/**
 * On the source listener, after chooseLanguage: the cookie for every reader who has none yet, in
 * the language already chosen (Accept-Language), so that a reader who never uses the switch sends
 * the same cookie back, as long, as one who did. On the first page they load (a GET): a form or a
 * page script posts only from a page, so a browser posting without the cookie is one that has
 * dropped it (whatever its language), and its next page gives it back.
 */
export function rememberLanguage(req: IncomingMessage, res: Response): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return;
  const written = ([] as unknown[]).concat(res.getHeader('Set-Cookie') ?? []).some((c) => isLanguageCookie(String(c)));
  if (!written && !cookieLanguage(req)) writeCookie(req, res, tOf(res).tag);
}

/** The language a request asks for by its headers alone (no address): cookie, then Accept-Language. */
export const requestLanguage = (req: IncomingMessage): string => cookieLanguage(req)?.tag ?? negotiate(req.headers['accept-language']);

/** The request's translator (English before the middleware ran, e.g. for a refused header). */
export const tOf = (res: Response): Translator => (res.locals.t as Translator | undefined) ?? translator('en');
