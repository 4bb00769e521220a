import { Router } from 'express';
import { renderLogin } from '../../views/journalist/frame.ts';
import { matchingStep } from '../../auth/totp.ts';
import { verifyPassphrase } from '../../auth/passwords.ts';
import { HttpError } from '../../http/errors.ts';
import { concurrencyLimit } from '../../http/limits.ts';
import { clearSessionCookie, ensureSession, locals, setSessionCookie } from '../../http/session.ts';
import { formFields, type JournalistDeps } from './common.ts';
import { accessNotice } from './access.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';


export function authRoutes({ store, sessions, throttle, usedSteps }: JournalistDeps): Router {
  const router = Router();

  router.get('/login', ensureSession(sessions), (_req, res) => {
    if (locals(res).journalist) return res.redirect(303, '/');
    res.type('html').send(renderLogin({ t: tOf(res), csrf: locals(res).session!.csrf }));
  });

  // Argon2 is slow on purpose: a cap on logins in flight keeps a burst from starving the server.
  router.post('/login', concurrencyLimit(8), async (req, res) => {
    const f = formFields(req, ['username', 'passphrase', 'code']);
    const account = f.username.toLowerCase();
    const wait = throttle.waitFor(account);
    if (wait > 0) throw new HttpError(429, said('staff.error.throttled', { minutes: Math.ceil(wait / 60_000) }));
    const journalist = store.journalists.list().find((j) => j.username === account);
    // Only failures at real accounts count globally: made-up names cannot lock everyone out.
    const refund = throttle.attempt(account, Date.now(), journalist !== undefined);
    const creds = journalist ? store.journalists.credentials(journalist.id) : { passwordHash: null, totpSecret: null };
    // The passphrase is always verified (against a decoy if need be), so timing does not reveal accounts.
    const passOk = await verifyPassphrase(creds.passwordHash, f.passphrase);
    const step = creds.totpSecret ? matchingStep(creds.totpSecret, f.code.trim()) : null;
    const fresh = journalist !== undefined && step !== null && step > (usedSteps.get(journalist.id) ?? -1);
    if (!journalist || !journalist.active || !passOk || !fresh) {
      store.audit.append({ actor: 'anonymous', action: 'login.failed', detail: { username: account.slice(0, 64) } }); // never the passphrase or code
      res.status(401).type('html').send(renderLogin({ t: tOf(res), csrf: locals(res).session?.csrf ?? '', error: tOf(res).text('staff.login.failed') }));
      return;
    }
    usedSteps.set(journalist.id, step);
    store.audit.append({ actor: { username: journalist.username }, action: 'login.ok' });
    refund();
    // A new token at login: a cookie planted before login is worth nothing after it.
    sessions.destroy(locals(res).token);
    const { token, session } = sessions.create(journalist.id);
    // Who can read what changed since this journalist last looked: said on the first page, linking to /access.
    const changed = accessNotice(store, journalist.id);
    if (changed) session.notice = changed;
    setSessionCookie(res, token);
    res.redirect(303, '/');
  });

  router.post('/logout', (_req, res) => {
    if (locals(res).journalist) store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'logout' });
    sessions.destroy(locals(res).token);
    clearSessionCookie(res);
    res.redirect(303, '/login');
  });

  return router;
}
