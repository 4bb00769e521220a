import { Router, type Response } from 'express';
import { renderSQR } from '../../views/journalist/qr.ts';
import { readJournalistKey, UnsupportedKeyError } from '../../../common/envelope/index.ts';
import { renderCreated, renderEnrol, type EnrolError, type EnrolField } from '../../views/journalist/enrol.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { checkPassphraseStrength, hashPassphrase, WeakPassphraseError } from '../../auth/passwords.ts';
import { matchingStep, newTotpSecret, otpauthUri } from '../../auth/totp.ts';
import { HttpError } from '../../http/errors.ts';
import { ensureSession, locals } from '../../http/session.ts';
import { isUsername } from '../../../common/ids.ts';
import { formFields, type JournalistDeps } from './common.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said, say, type Said } from '../../i18n/said.ts';
import type { Store } from '../../store/index.ts';

/**
 * The TOTP secret offered under a one-time setup or enrolment link, kept with that link (memory
 * only) until it is used or the server restarts: a reload, another tab or an expired session shows
 * the QR code already scanned, never a new one. Only a valid link adds an entry; the oldest go first.
 */
const pending = new Map<string, string>();
const MAX_PENDING = 1000;
function secretFor(link: string): string {
  let secret = pending.get(link);
  if (!secret) {
    if (pending.size >= MAX_PENDING) pending.delete(pending.keys().next().value!);
    pending.set(link, (secret = newTotpSecret()));
  }
  return secret;
}

const login = (res: Response) => ({ href: '/login', label: tOf(res).text('staff.login.submit') });

type Form = { passphrase: string; passphrase2: string; code: string };
type PageOptions = { setup: boolean; action: string; username?: string; kept?: { username?: string; publicKey?: string }; error?: EnrolError };

/** The authenticator app shows the newsroom's name (its default branding name) and the username. */
const issuerOf = (store: Store) => store.settings.ownBranding().name;

function page(store: Store, res: Response, o: PageOptions): void {
  const secret = secretFor(o.action);
  const issuer = issuerOf(store);
  const uri = otpauthUri(secret, o.username ?? o.kept?.username ?? 'administrator', issuer);
  const t = tOf(res);
  res.status(o.error ? 400 : 200).type('html');
  res.send(renderEnrol({ t, csrf: locals(res).session!.csrf, ...o, totpSecret: secret, totpUri: uri, issuer, qrSvg: renderSQR(uri, t.text('staff.qr.totp')) }));
}

// Which field a refusal is about, so the page can say it there.
class FieldRefusal extends HttpError {
  constructor(readonly field: EnrolField, s: Said) {
    super(400, s);
  }
}

/** Checks the passphrase and the code typed from the offered secret; returns what to store. */
async function credentials(link: string, f: Form, username: string): Promise<{ passwordHash: string; totpSecret: string; step: number }> {
  if (f.passphrase !== f.passphrase2) throw new FieldRefusal('passphrase2', said('staff.error.passphrasesDiffer'));
  checkPassphraseStrength(f.passphrase, username);
  const secret = pending.get(link);
  const step = secret ? matchingStep(secret, f.code.trim()) : null;
  if (!secret || step === null) throw new FieldRefusal('code', said('staff.error.codeMismatch'));
  return { passwordHash: await hashPassphrase(f.passphrase), totpSecret: secret, step };
}

/** Stores the new credentials; the link is spent, and its secret is not offered again. */
function enrolled(deps: JournalistDeps, link: string, id: number, c: { passwordHash: string; totpSecret: string; step: number }): void {
  deps.store.journalists.setCredentials(id, { passwordHash: c.passwordHash, totpSecret: c.totpSecret });
  deps.usedSteps.set(id, c.step);
  pending.delete(link);
}

/** A refusal as the form shows it, next to its field; anything else is not the form's to show. */
function refusalOf(res: Response, error: unknown): EnrolError | null {
  const t = tOf(res);
  if (error instanceof FieldRefusal) return { field: error.field, message: say(t, error.said) };
  // Their detail (the strength checker's advice, what is wrong with the key) stays in English, inside a translated sentence.
  if (error instanceof WeakPassphraseError) return { field: 'passphrase', message: t.text('staff.error.weakPassphrase', { detail: error.message }) };
  if (error instanceof UnsupportedKeyError) return { field: 'public_key', message: t.text('error.envelope', { detail: error.message }) };
  if (error instanceof HttpError && error.status === 400) return { field: null, message: say(t, error.said) };
  return null;
}

/** What a refused setup form carries back: the username and the public key, never a passphrase, never a private key. */
function keptFields(body: unknown): { username?: string; publicKey?: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const key = text(b.public_key);
  return { username: text(b.username), publicKey: key && !/PRIVATE KEY/i.test(key) ? key : undefined };
}

export function enrolRoutes(deps: JournalistDeps): Router {
  const { store, sessions, setup } = deps;
  const router = Router();
  const setupToken = (token: unknown) => {
    if (!setup.token || token !== setup.token || store.journalists.count() > 0) throw new HttpError(404, said('staff.error.setupLink'));
  };
  const failed = (res: Response, o: PageOptions, error: unknown) => {
    const refusal = refusalOf(res, error);
    if (!refusal) throw error;
    page(store, res, { ...o, error: refusal });
  };

  router.get('/setup/:token', ensureSession(sessions), (req, res) => {
    setupToken(req.params.token);
    page(store, res, { setup: true, action: `/setup/${req.params.token}` });
  });

  router.post('/setup/:token', async (req, res) => {
    setupToken(req.params.token);
    const o = { setup: true, action: `/setup/${req.params.token}`, kept: keptFields(req.body) };
    // Claimed before the slow work, so two people racing on the link cannot both become administrator.
    const claimed = setup.token;
    setup.token = null;
    try {
      const f = formFields(req, ['username', 'passphrase', 'passphrase2', 'code', 'public_key']);
      if (!isUsername(f.username)) throw new FieldRefusal('username', said('staff.error.username'));
      const key = await readJournalistKey(f.public_key.trim());
      const creds = await credentials(o.action, f, f.username);
      const j = store.journalists.add({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: true });
      enrolled(deps, o.action, j.id, creds);
      deps.onionAccess?.claimSetup(j.id);
      res.type('html').send(renderCreated(tOf(res), { username: j.username, fingerprint: key.fingerprint }));
    } catch (error) {
      if (store.journalists.count() === 0) setup.token = claimed;
      failed(res, o, error);
    }
  });

  router.get('/enrol/:token', ensureSession(sessions), (req, res) => {
    const j = store.journalists.enrolmentFor(String(req.params.token));
    page(store, res, { setup: false, action: `/enrol/${req.params.token}`, username: j.username });
  });

  router.post('/enrol/:token', async (req, res) => {
    const token = String(req.params.token);
    const j = store.journalists.enrolmentFor(token);
    const o = { setup: false, action: `/enrol/${token}`, username: j.username };
    try {
      const f = formFields(req, ['passphrase', 'passphrase2', 'code']);
      enrolled(deps, o.action, j.id, await credentials(o.action, f, j.username));
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

