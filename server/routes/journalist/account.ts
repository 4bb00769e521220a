import { Router, type Response } from 'express';
import { renderAccount, type AccountError, type AccountForm } from '../../views/journalist/account.ts';
import { verifyPassphrase } from '../../auth/passwords.ts';
import { concurrencyLimit } from '../../http/limits.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { notice } from '../../http/notice.ts';
import { log } from '../../log/index.ts';
import { tellOldAddress } from '../../notify/index.ts';
import { isMailAddress } from '../../notify/settings.ts';
import type { Journalist } from '../../store/index.ts';
import { LOCK_MINUTES } from '../../store/journalists.ts';
import { tOf } from '../../i18n/middleware.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { ownKey, requestChange } from './two-person.ts';
import { readJournalistKey } from '../../../common/envelope/index.ts';

/** The first thing wrong with what was typed, worded for the reader, or null. */
function refusal(res: Response, typed: AccountForm, encrypt: string): AccountError | null {
  const t = tOf(res);
  if (typed.email !== '' && !isMailAddress(typed.email)) return { field: 'email', message: t.text('staff.account.error.email') };
  if (encrypt !== '' && encrypt !== '1') return { field: 'encrypt', message: t.text('staff.account.error.encrypt') };
  const n = Number(typed.lockMinutes);
  if (!/^\d{1,3}$/.test(typed.lockMinutes) || n < LOCK_MINUTES.min || n > LOCK_MINUTES.max) return { field: 'lock', message: t.text('staff.account.error.lock') };
  return null;
}

/** Moving notices elsewhere, or turning their encryption off, is what a stolen session would do unseen. */
const weakens = (j: Journalist, typed: AccountForm): boolean =>
  (typed.email || null) !== j.notifyEmail || (j.notifyEmail !== null && j.notifyEncrypt && !typed.encrypt);

/** GET/POST /account: each journalist's own notices and auto-lock; an administrator's CLI sets the same columns. */
export function accountRoutes({ config, store, throttle }: JournalistDeps): Router {
  const router = Router();
  router.use('/account', requireJournalist);
  const page = (res: Response, form: AccountForm, error?: AccountError, status = 400) => {
    const key = ownKey(store, locals(res).journalist!);
    res.status(error ? status : 200).type('html').send(renderAccount({ t: tOf(res), viewer: viewer(res), form, mailOn: config.notify.smtp !== null, windowMinutes: config.notify.windowMinutes, key, ...(error ? { error } : {}) }));
  };

  /**
   * The login passphrase, checked as at login (Argon2id) and counted by the login throttle, so a
   * stolen session cannot guess it here either. Null when it is right.
   */
  async function passphraseRefusal(res: Response, j: Journalist, passphrase: string, field: 'passphrase' | 'keyPassphrase' = 'passphrase'): Promise<{ error: AccountError; status: number } | null> {
    const t = tOf(res);
    const wrong = { error: { field, message: t.text('staff.account.error.passphrase') }, status: 400 };
    if (passphrase === '') return wrong; // not a guess: nothing to count
    const wait = throttle.waitFor(j.username);
    if (wait > 0) return { error: { field, message: t.text('staff.error.throttled', { minutes: Math.ceil(wait / 60_000) }) }, status: 429 };
    const refund = throttle.attempt(j.username);
    if (!(await verifyPassphrase(store.journalists.credentials(j.id).passwordHash, passphrase))) return wrong;
    refund();
    return null;
  }

  router.get('/account', (_req, res) => {
    const j = locals(res).journalist!;
    page(res, { email: j.notifyEmail ?? '', encrypt: j.notifyEncrypt, lockMinutes: String(j.lockMinutes) });
  });

  // A refusal shows the form again as typed (never the passphrase), with the reason beside the field; nothing is saved.
  router.post('/account', concurrencyLimit(8), async (req, res) => {
    const f = formFields(req, ['email', 'encrypt', 'lock_minutes', 'passphrase'], ['encrypt', 'passphrase']);
    const typed = { email: f.email.trim(), encrypt: f.encrypt === '1', lockMinutes: f.lock_minutes.trim() };
    const error = refusal(res, typed, f.encrypt);
    if (error) return void page(res, typed, error);
    const j = locals(res).journalist!;
    if (weakens(j, typed)) {
      const refused = await passphraseRefusal(res, j, f.passphrase);
      if (refused) return void page(res, typed, refused.error, refused.status);
    }
    store.journalists.setNotify(j.id, { email: typed.email || null, encrypt: typed.encrypt });
    store.journalists.setLockMinutes(j.id, Number(typed.lockMinutes));
    if ((typed.email || null) !== j.notifyEmail || typed.encrypt !== j.notifyEncrypt) store.audit.append({ actor: { username: j.username }, action: 'account.notify', detail: { mail: typed.email !== '', encrypt: typed.encrypt } });
    if (Number(typed.lockMinutes) !== j.lockMinutes) store.audit.append({ actor: { username: j.username }, action: 'account.lock', detail: { minutes: Number(typed.lockMinutes) } });
    if (j.notifyEmail !== null && j.notifyEmail !== (typed.email || null)) {
      tellOldAddress(config.notify, j, j.notifyEmail).catch((e: unknown) => log('error', 'notice_failed', { channel: 'mail', step: 'moved', error: (e as Error).name }));
    }
    notice(res, 'staff.account.saved');
    res.redirect(303, '/account');
  });

  // Replacing one's own key: the login passphrase again (a stolen session must not swap in its own key), then a `key` change.
  router.post('/account/key', concurrencyLimit(8), async (req, res) => {
    const f = formFields(req, ['public_key', 'passphrase']);
    const j = locals(res).journalist!;
    const form = { email: j.notifyEmail ?? '', encrypt: j.notifyEncrypt, lockMinutes: String(j.lockMinutes) };
    const key = await readJournalistKey(f.public_key.trim()); // a key gpg could not use: a 400 that says why
    const refused = await passphraseRefusal(res, j, f.passphrase, 'keyPassphrase');
    if (refused) return void page(res, form, refused.error, refused.status);
    const held = await requestChange(store, res, 'key', { journalistId: j.id, publicKey: key.armored, recipientKeyId: key.recipientKeyId });
    notice(res, held ? 'staff.access.myKey.held' : 'staff.access.myKey.done', { fingerprint: key.fingerprint });
    res.redirect(303, '/account');
  });
  return router;
}
