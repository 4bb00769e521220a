import { Router, type Response } from 'express';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { sameToken } from '../../auth/sessions.ts';
import { isOnionRequest } from '../../http/cookies.ts';
import { HttpError } from '../../http/errors.ts';
import { sendPage } from '../../http/pad-responses.ts';
import { readCookie } from '../../http/session.ts';
import { said } from '../../i18n/said.ts';
import type { Store } from '../../store/index.ts';
import type { FormTokens } from '../../sources/form-tokens.ts';
import { renderLeftPage } from '../../views/sent.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import { brandingFor } from './refusals.ts';

/** Tells the browser to forget the session cookie and its onion-only twin (set only for an onion Host). */
function forgetCookies(res: Response): void {
  const gone = (name: string, secure: boolean) => `${name}=; Path=/; HttpOnly;${secure ? ' Secure;' : ''} SameSite=Strict; Max-Age=0`;
  res.append('Set-Cookie', gone(SOURCE_COOKIE, true));
  if (isOnionRequest(res.req)) res.append('Set-Cookie', gone(SOURCE_COOKIE.replace(/^__Host-/, ''), false));
}

/**
 * "Leave": the session ends on the server (its token, and any copy of the cookie, is refused from
 * now on: source-sessions.ts revoke) and the browser forgets the cookie. With JavaScript the
 * session lives in the page's memory: the page adds its token to the form (field `token`, which is
 * itself the capability: presenting it can only end it), and it ends the same way. This answer
 * says what to do next.
 */
export function leaveRoute({ store, sessions, tokens }: { store: Store; sessions: SourceSessions; tokens: FormTokens }): Router {
  const router = Router();
  router.post('/leave', (req, res) => {
    const session = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS));
    const csrf = (req.body as { csrf?: unknown } | undefined)?.csrf;
    if (session && (typeof csrf !== 'string' || !sameToken(csrf, session.csrf))) throw new HttpError(403, said('error.formExpired'));
    // A codename page kept for a repeat of the form that made it goes too: the token must not hand
    // the codename (and a fresh session) to whoever uses this browser next.
    if (session) tokens.forgetSource(session.sourceId);
    if (session) sessions.revoke(session);
    const token = (req.body as { token?: unknown } | undefined)?.token;
    const inPage = sessions.get(typeof token === 'string' ? token : undefined);
    // The page's own session may belong to another source than the cookie's (or there is no cookie):
    // its kept codename page goes too.
    if (inPage) tokens.forgetSource(inPage.sourceId);
    if (inPage) sessions.revoke(inPage);
    forgetCookies(res);
    const branding = brandingFor(store);
    sendPage(res, (t) => renderLeftPage(t, branding(t)));
  });
  return router;
}
