import { Router, type Request, type Response } from 'express';
import { renderSQR } from '../../views/journalist/qr.ts';
import { readJournalistKey, UnsupportedKeyError } from '../../../common/envelope/index.ts';
import { renderCreated, renderEnrol, type EnrolError, type EnrolField } from '../../views/journalist/enrol.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { checkPassphraseStrength, hashPassphrase, WeakPassphraseError } from '../../auth/passwords.ts';
import { matchingStep, otpauthUri } from '../../auth/totp.ts';
import { holderOf, PendingTotp } from '../../auth/pending-totp.ts';
import { HttpError } from '../../http/errors.ts';
import { ensureSession, locals, readCookie } from '../../http/session.ts';
import { isUsername } from '../../../common/ids.ts';
import { formFields, type JournalistDeps } from './common.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said, say, type Said } from '../../i18n/said.ts';
import type { Store } from '../../store/index.ts';

const login = (res: Response) => ({ href: '/login', label: tOf(res).text('staff.login.submit') });

type Form = { passphrase: string; passphrase2: string; code: string };
type Ctx = { store: Store; pending: PendingTotp };
type PageOptions = { setup: boolean; action: string; username?: string; kept?: { username?: string; publicKey?: string }; error?: EnrolError };

/** The authenticator app shows the newsroom's name (its default branding name) and the username. */
const issuerOf = (store: Store) => store.settings.ownBranding().name;

/** The secret this browser is shown (see PendingTotp): a session that expired still names the browser by its cookie. */
function offered(pending: PendingTotp, link: string, req: Request, res: Response) {
  const cookie = readCookie(req);
  return pending.offer(link, holderOf(locals(res).token!), cookie === undefined ? undefined : holderOf(cookie));
}

function page(ctx: Ctx, req: Request, res: Response, o: PageOptions): void {
  const { secret, openedElsewhere } = offered(ctx.pending, o.action, req, res);
  const issuer = issuerOf(ctx.store);
  const uri = otpauthUri(secret, o.username ?? o.kept?.username ?? 'administrator', issuer);
  const t = tOf(res);
  // Said plainly, at the top: someone else may hold this link.
  const error = o.error ?? (openedElsewhere ? { field: null, message: t.text('staff.enrol.openedElsewhere') } : undefined);
  res.status(o.error ? 400 : 200).type('html');
  res.send(renderEnrol({ t, csrf: locals(res).session!.csrf, ...o, error, totpSecret: secret, totpUri: uri, issuer, qrSvg: renderSQR(uri, t.text('staff.qr.totp')) }));
}

// Which field a refusal is about, so the page can say it there.
class FieldRefusal extends HttpError {
  constructor(readonly field: EnrolField, s: Said) {
    super(400, s);
  }
}

/**
 * The secret this session was shown under the link, checked before anything else about the form:
 * if another session has opened the link since, that is what this browser must hear.
 */
function heldSecret(pending: PendingTotp, link: string, res: Response): string | null {
  const held = pending.held(link, holderOf(locals(res).token!));
  if (held === 'withdrawn') throw new HttpError(400, said('staff.enrol.openedElsewhere'));
  return held;
}

/** Checks the passphrase and the code typed from this session's secret; returns what to store. */
async function credentials(pending: PendingTotp, link: string, res: Response, f: Form, username: string): Promise<{ passwordHash: string; totpSecret: string; step: number }> {
  const secret = heldSecret(pending, link, res);
  if (f.passphrase !== f.passphrase2) throw new FieldRefusal('passphrase2', said('staff.error.passphrasesDiffer'));
  checkPassphraseStrength(f.passphrase, username);
  const step = secret ? matchingStep(secret, f.code.trim()) : null;
  if (!secret || step === null) throw new FieldRefusal('code', said('staff.error.codeMismatch'));
  const passwordHash = await hashPassphrase(f.passphrase);
  // Another session may have opened the link while the hash was made: this secret is then withdrawn.
  if (heldSecret(pending, link, res) !== secret) throw new FieldRefusal('code', said('staff.error.codeMismatch'));
  return { passwordHash, totpSecret: secret, step };
}

/** Stores the new credentials; the link is spent, and its secret is not offered again. */
function enrolled(deps: JournalistDeps, ctx: Ctx, link: string, id: number, c: { passwordHash: string; totpSecret: string; step: number }): void {
  deps.store.journalists.setCredentials(id, { passwordHash: c.passwordHash, totpSecret: c.totpSecret });
  deps.usedSteps.set(id, c.step);
  ctx.pending.spend(link);
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
  const ctx: Ctx = { store, pending: new PendingTotp() };
  const router = Router();
  const setupToken = (token: unknown) => {
    if (!setup.token || token !== setup.token || store.journalists.count() > 0) throw new HttpError(404, said('staff.error.setupLink'));
  };
  const failed = (req: Request, res: Response, o: PageOptions, error: unknown) => {
    const refusal = refusalOf(res, error);
    if (!refusal) throw error;
    page(ctx, req, res, { ...o, error: refusal });
  };

  router.get('/setup/:token', ensureSession(sessions), (req, res) => {
    setupToken(req.params.token);
    page(ctx, req, res, { setup: true, action: `/setup/${req.params.token}` });
  });

  router.post('/setup/:token', async (req, res) => {
    setupToken(req.params.token);
    const o = { setup: true, action: `/setup/${req.params.token}`, kept: keptFields(req.body) };
    // Claimed before the slow work, so two people racing on the link cannot both become administrator.
    const claimed = setup.token;
    setup.token = null;
    try {
      heldSecret(ctx.pending, o.action, res); // the first thing to say, if another session opened the link
      const f = formFields(req, ['username', 'passphrase', 'passphrase2', 'code', 'public_key']);
      if (!isUsername(f.username)) throw new FieldRefusal('username', said('staff.error.username'));
      const key = await readJournalistKey(f.public_key.trim());
      const creds = await credentials(ctx.pending, o.action, res, f, f.username);
      const j = store.journalists.add({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: true });
      enrolled(deps, ctx, o.action, j.id, creds);
      deps.onionAccess?.claimSetup(j.id);
      store.audit.append({ actor: { username: j.username }, action: 'journalist.add', detail: { journalist: j.username, fingerprint: key.fingerprint, admin: true, via: 'setup' } });
      res.type('html').send(renderCreated(tOf(res), { username: j.username, fingerprint: key.fingerprint }));
    } catch (error) {
      if (store.journalists.count() === 0) setup.token = claimed;
      failed(req, res, o, error);
    }
  });

  router.get('/enrol/:token', ensureSession(sessions), (req, res) => {
    const j = store.journalists.enrolmentFor(String(req.params.token));
    page(ctx, req, res, { setup: false, action: `/enrol/${req.params.token}`, username: j.username });
  });

  router.post('/enrol/:token', async (req, res) => {
    const token = String(req.params.token);
    const j = store.journalists.enrolmentFor(token);
    const o = { setup: false, action: `/enrol/${token}`, username: j.username };
    try {
      const f = formFields(req, ['passphrase', 'passphrase2', 'code']);
      enrolled(deps, ctx, o.action, j.id, await credentials(ctx.pending, o.action, res, f, j.username));
      store.journalists.consumeEnrolment(token);
      store.audit.append({ actor: { username: j.username }, action: 'account.passphrase', detail: { via: 'enrolment' } });
      sessions.destroyFor(j.id);
      const t = tOf(res);
      res.type('html').send(renderNotice(t, t.text('staff.notice.readyTitle'), [t.text('staff.notice.ready', { username: j.username })], { link: login(res) }));
    } catch (error) {
      failed(req, res, o, error);
    }
  });

  return router;
}

