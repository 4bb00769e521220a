import { Router, type Response } from 'express';
import { renderSQR } from '../../views/journalist/qr.ts';
import { readJournalistKey, UnsupportedKeyError } from '../../../common/envelope/index.ts';
import { renderEnrol } from '../../views/journalist/enrol.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { checkPassphraseStrength, hashPassphrase, WeakPassphraseError } from '../../auth/passwords.ts';
import { matchingStep, newTotpSecret, otpauthUri } from '../../auth/totp.ts';
import { HttpError } from '../../http/errors.ts';
import { ensureSession, locals } from '../../http/session.ts';
import { formFields, usernameField, type JournalistDeps } from './common.ts';

// The TOTP secret offered on an enrolment page, kept with the session until the form comes back.
const offered = new WeakMap<object, string>();

const LOGIN = { href: '/login', label: 'Log in' };

type Form = { passphrase: string; passphrase2: string; code: string };

function page(res: Response, o: { setup: boolean; action: string; username?: string; error?: string }): void {
  const session = locals(res).session!;
  let secret = offered.get(session);
  if (!secret) offered.set(session, (secret = newTotpSecret()));
  const uri = otpauthUri(secret, o.username ?? 'administrator');
  res.status(o.error ? 400 : 200).type('html');
  res.send(renderEnrol({ csrf: session.csrf, action: o.action, setup: o.setup, username: o.username, totpSecret: secret, totpUri: uri, qrSvg: renderSQR(uri), error: o.error }));
}

/** Checks the passphrase and the code typed from the offered secret; returns what to store. */
async function credentials(res: Response, f: Form, username: string): Promise<{ passwordHash: string; totpSecret: string; step: number }> {
  if (f.passphrase !== f.passphrase2) throw new HttpError(400, 'The two passphrases differ.');
  checkPassphraseStrength(f.passphrase, username);
  const secret = offered.get(locals(res).session!);
  const step = secret ? matchingStep(secret, f.code.trim()) : null;
  if (!secret || step === null) throw new HttpError(400, 'That code does not match: check the app and the clock, then try the current code.');
  return { passwordHash: await hashPassphrase(f.passphrase), totpSecret: secret, step };
}

/** Stores the new credentials; the enrolment code is spent, and the offered secret is not offered again. */
function enrolled(deps: JournalistDeps, res: Response, id: number, c: { passwordHash: string; totpSecret: string; step: number }): void {
  deps.store.journalists.setCredentials(id, { passwordHash: c.passwordHash, totpSecret: c.totpSecret });
  deps.usedSteps.set(id, c.step);
  offered.delete(locals(res).session!);
}

export function enrolRoutes(deps: JournalistDeps): Router {
  const { store, sessions, setup } = deps;
  const router = Router();
  const setupToken = (token: unknown) => {
    if (!setup.token || token !== setup.token || store.journalists.count() > 0) throw new HttpError(404, 'This setup link is not valid (already used, or the server restarted).');
  };
  const failed = (res: Response, o: Parameters<typeof page>[1], error: unknown) => {
    if (error instanceof HttpError && error.status === 400) return page(res, { ...o, error: error.message });
    if (error instanceof WeakPassphraseError || error instanceof UnsupportedKeyError) return page(res, { ...o, error: error.message });
    throw error;
  };

  router.get('/setup/:token', ensureSession(sessions), (req, res) => {
    setupToken(req.params.token);
    page(res, { setup: true, action: `/setup/${req.params.token}` });
  });

  router.post('/setup/:token', async (req, res) => {
    setupToken(req.params.token);
    const o = { setup: true, action: `/setup/${req.params.token}` };
    // Claimed before the slow work, so two people racing on the link cannot both become administrator.
    const claimed = setup.token;
    setup.token = null;
    try {
      const f = formFields(req, ['username', 'passphrase', 'passphrase2', 'code', 'public_key']);
      usernameField(f.username);
      const key = await readJournalistKey(f.public_key.trim());
      const creds = await credentials(res, f, f.username);
      const j = store.journalists.add({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: true });
      enrolled(deps, res, j.id, creds);
      deps.onionAccess?.claimSetup(j.id);
      res.type('html').send(renderNotice('Account created', [`Welcome, ${j.username}. Submissions will be encrypted to your key ${key.fingerprint}.`], { link: LOGIN }));
    } catch (error) {
      if (store.journalists.count() === 0) setup.token = claimed;
      failed(res, o, error);
    }
  });

  router.get('/enrol/:token', ensureSession(sessions), (req, res) => {
    const j = store.journalists.enrolmentFor(String(req.params.token));
    page(res, { setup: false, action: `/enrol/${req.params.token}`, username: j.username });
  });

  router.post('/enrol/:token', async (req, res) => {
    const token = String(req.params.token);
    const j = store.journalists.enrolmentFor(token);
    const o = { setup: false, action: `/enrol/${token}`, username: j.username };
    try {
      const f = formFields(req, ['passphrase', 'passphrase2', 'code']);
      enrolled(deps, res, j.id, await credentials(res, f, j.username));
      store.journalists.consumeEnrolment(token);
      sessions.destroyFor(j.id);
      res.type('html').send(renderNotice('Account ready', [`${j.username}, your passphrase and two-factor code are set.`], { link: LOGIN }));
    } catch (error) {
      failed(res, o, error);
    }
  });

  return router;
}
