import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sameToken, type Session, type Sessions } from '../auth/sessions.ts';
import type { Journalist, Store } from '../store/index.ts';
import { HttpError } from './errors.ts';
import { isCrossSite } from './validate.ts';
import { said } from '../i18n/said.ts';
import { cookieValue, isOnionRequest } from './cookies.ts';

// __Host-: Secure, Path=/, no Domain, so no other site or subdomain can set or read it. The
// journalist session stays __Host- only: the journalist pages decrypt and make keys with WebCrypto,
// which exists only in a secure context, where this cookie is stored anyway (Tor Browser, loopback).
export const COOKIE = '__Host-sealdrop';

export type AuthLocals = { session: Session | null; token?: string; journalist?: Journalist };

/** `__Host-x` → `x`: the onion-only twin of a cookie, for browsers that refuse the Secure one. */
const onionTwin = (cookie: string) => cookie.replace(/^__Host-/, '');

export type CookieOptions = {
  /**
   * Also set and read the cookie without `Secure` (and so without the `__Host-` prefix), but only
   * for a request to an .onion Host. Never elsewhere: over clearnet http that cookie could be read,
   * or planted by anyone on the path (fixing a victim's session to the attacker's).
   */
  onionFallback?: boolean;
};

export function readCookie(req: Request, cookie: string = COOKIE, { onionFallback = false }: CookieOptions = {}): string | undefined {
  const secure = cookieValue(req, cookie);
  if (secure !== undefined || !onionFallback || !isOnionRequest(req)) return secure;
  return cookieValue(req, onionTwin(cookie));
}

export function setSessionCookie(res: Response, token: string, cookie: string = COOKIE, { onionFallback = false }: CookieOptions = {}): void {
  const secure = `${cookie}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict`;
  if (!onionFallback || !isOnionRequest(res.req)) return void res.append('Set-Cookie', secure);
  // Both: a browser that treats the onion as secure (Tor Browser) keeps the __Host- one, any other the twin.
  res.append('Set-Cookie', [secure, `${onionTwin(cookie)}=${token}; Path=/; HttpOnly; SameSite=Strict`]);
}

export function clearSessionCookie(res: Response): void {
  res.append('Set-Cookie', `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`);
}

export const locals = (res: Response): AuthLocals => res.locals as AuthLocals;

/** Finds the session named by the cookie, if it is still valid, and its (active, enrolled) journalist. */
export function loadSession(sessions: Sessions, store: Store): RequestHandler {
  return (req, res, next) => {
    const token = readCookie(req);
    const session = sessions.get(token);
    const l = locals(res);
    l.session = session;
    if (session && token) l.token = token;
    if (session?.journalistId != null) {
      const journalist = store.journalists.find(session.journalistId); // undefined once removed
      if (journalist?.active && journalist.enrolled) l.journalist = journalist;
      else {
        sessions.destroy(token);
        l.session = null;
      }
    }
    next();
  };
}

/** Pages with forms need a session (anonymous before login) to carry their CSRF token. */
export function ensureSession(sessions: Sessions): RequestHandler {
  return (_req, res, next) => {
    const l = locals(res);
    if (!l.session) {
      const { token, session } = sessions.create(null);
      l.session = session;
      l.token = token;
      setSessionCookie(res, token);
    }
    next();
  };
}

/** Every state-changing request must carry the session's CSRF token and come from this origin. */
export function csrfCheck(): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (isCrossSite(req)) return next(new HttpError(403, said('error.crossSite')));
    // A file upload's body is read by its route, after this check: its token rides in the query string.
    const fromQuery = req.is('multipart/form-data') ? req.query.csrf : undefined;
    const sent = (req.body as Record<string, unknown> | undefined)?.csrf ?? req.get('x-csrf-token') ?? fromQuery;
    const session = locals(res).session;
    if (!session || typeof sent !== 'string' || !sameToken(sent, session.csrf)) {
      return next(new HttpError(403, said('error.formExpired')));
    }
    next();
  };
}

export function requireJournalist(req: Request, res: Response, next: NextFunction): void {
  if (locals(res).journalist) return next();
  if (req.method === 'GET' && req.accepts('html') && !req.path.endsWith('.pgp')) return res.redirect(303, '/login');
  next(new HttpError(401, said('error.logInFirst')));
}

export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (locals(res).journalist?.isAdmin) return next();
  next(new HttpError(403, said('error.adminOnly')));
}
