import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { sameToken, type Session, type Sessions } from '../auth/sessions.ts';
import type { Journalist, Store } from '../store/index.ts';
import { HttpError } from './errors.ts';
import { isCrossSite } from './validate.ts';

// __Host-: Secure, Path=/, no Domain, so no other site or subdomain can set or read it.
export const COOKIE = '__Host-sealdrop';

export type AuthLocals = { session: Session | null; token?: string; journalist?: Journalist };

export function readCookie(req: Request, cookie: string = COOKIE): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const [name, ...value] = part.trim().split('=');
    if (name === cookie) return value.join('=');
  }
  return undefined;
}

export function setSessionCookie(res: Response, token: string, cookie: string = COOKIE): void {
  res.setHeader('Set-Cookie', `${cookie}=${token}; Path=/; HttpOnly; Secure; SameSite=Strict`);
}

export function clearSessionCookie(res: Response): void {
  res.setHeader('Set-Cookie', `${COOKIE}=; Path=/; HttpOnly; Secure; SameSite=Strict; Max-Age=0`);
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
    if (isCrossSite(req)) return next(new HttpError(403, 'Cross-site requests are refused.'));
    const sent = (req.body as Record<string, unknown> | undefined)?.csrf ?? req.get('x-csrf-token');
    const session = locals(res).session;
    if (!session || typeof sent !== 'string' || !sameToken(sent, session.csrf)) {
      return next(new HttpError(403, 'This form has expired or did not come from this site. Reload the page and try again.'));
    }
    next();
  };
}

export function requireJournalist(req: Request, res: Response, next: NextFunction): void {
  if (locals(res).journalist) return next();
  if (req.method === 'GET' && req.accepts('html') && !req.path.endsWith('.pgp')) return res.redirect(303, '/login');
  next(new HttpError(401, 'Log in first.'));
}

export function requireAdmin(_req: Request, res: Response, next: NextFunction): void {
  if (locals(res).journalist?.isAdmin) return next();
  next(new HttpError(403, 'Only administrators may do this.'));
}
