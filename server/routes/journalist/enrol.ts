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
import { tOf } from '../../i18n/middleware.ts';
import { said, say } from '../../i18n/said.ts';

// The TOTP secret offered on an enrolment page, kept with the session until the form comes back.
const offered = new WeakMap<object, string>();

const login = (res: Response) => ({ href: '/login', label: tOf(res).text('staff.login.submit') });

type Form = { passphrase: string; passphrase2: string; code: string };

function page(res: Response, o: { setup: boolean; action: string; username?: string; error?: string }): void {
  const session = locals(res).session!;
  let secret = offered.get(session);
  if (!secret) offered.set(session, (secret = newTotpSecret()));
  const uri = otpauthUri(secret, o.username ?? 'administrator');
  res.status(o.error ? 400 : 200).type('html');
  res.send(renderEnrol({ t: tOf(res), csrf: session.csrf, action: o.action, setup: o.setup, username: o.username, totpSecret: secret, totpUri: uri, qrSvg: renderSQR(uri, tOf(res).text('staff.qr.totp')), error: o.error }));
}

/** Checks the passphrase and the code typed from the offered secret; returns what to store. */
async function credentials(res: Response, f: Form, username: string): Promise<{ passwordHash: string; totpSecret: string; step: number }> {
  if (f.passphrase !== f.passphrase2) throw new HttpError(400, said('staff.error.passphrasesDiffer'));
  checkPassphraseStrength(f.passphrase, username);
  const secret = offered.get(locals(res).session!);
  const step = secret ? matchingStep(secret, f.code.trim()) : null;
  if (!secret || step === null) throw new HttpError(400, said('staff.error.codeMismatch'));
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
    if (!setup.token || token !== setup.token || store.journalists.count() > 0) throw new HttpError(404, said('staff.error.setupLink'));
  };
  const failed = (res: Response, o: Parameters<typeof page>[1], error: unknown) => {
    if (error instanceof HttpError && error.status === 400) return page(res, { ...o, error: say(tOf(res), error.said) });
    // Their detail (the strength checker's advice, what is wrong with the key) stays in English, inside a translated sentence.
    if (error instanceof WeakPassphraseError) return page(res, { ...o, error: tOf(res).text('staff.error.weakPassphrase', { detail: error.message }) });
    if (error instanceof UnsupportedKeyError) return page(res, { ...o, error: tOf(res).text('error.envelope', { detail: error.message }) });
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
      const t = tOf(res);
      res.type('html').send(renderNotice(t, t.text('staff.notice.createdTitle'), [t.text('staff.notice.created', { username: j.username, fingerprint: key.fingerprint })], { link: login(res) }));
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
      const t = tOf(res);
      res.type('html').send(renderNotice(t, t.text('staff.notice.readyTitle'), [t.text('staff.notice.ready', { username: j.username })], { link: login(res) }));
    } catch (error) {
      failed(res, o, error);
    }
  });

  return router;
}
