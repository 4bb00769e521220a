import { Router, type Response } from 'express';
import { renderAccount, type AccountError, type AccountForm } from '../../views/journalist/account.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { notice } from '../../http/notice.ts';
import { isMailAddress } from '../../notify/settings.ts';
import { LOCK_MINUTES } from '../../store/journalists.ts';
import { tOf } from '../../i18n/middleware.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';

/** The first thing wrong with what was typed, worded for the reader, or null. */
function refusal(res: Response, typed: AccountForm, encrypt: string): AccountError | null {
  const t = tOf(res);
  if (typed.email !== '' && !isMailAddress(typed.email)) return { field: 'email', message: t.text('staff.account.error.email') };
  if (encrypt !== '' && encrypt !== '1') return { field: 'encrypt', message: t.text('staff.account.error.encrypt') };
  const n = Number(typed.lockMinutes);
  if (!/^\d{1,3}$/.test(typed.lockMinutes) || n < LOCK_MINUTES.min || n > LOCK_MINUTES.max) return { field: 'lock', message: t.text('staff.account.error.lock') };
  return null;
}

/** GET/POST /account: each journalist's own notices and auto-lock; an administrator's CLI sets the same columns. */
export function accountRoutes({ config, store }: JournalistDeps): Router {
  const router = Router();
  router.use('/account', requireJournalist);
  const page = (res: Response, form: AccountForm, error?: AccountError) =>
    res.status(error ? 400 : 200).type('html').send(renderAccount({ t: tOf(res), viewer: viewer(res), form, mailOn: config.notify.smtp !== null, windowMinutes: config.notify.windowMinutes, ...(error ? { error } : {}) }));

  router.get('/account', (_req, res) => {
    const j = locals(res).journalist!;
    page(res, { email: j.notifyEmail ?? '', encrypt: j.notifyEncrypt, lockMinutes: String(j.lockMinutes) });
  });

  // A refusal shows the form again as typed, with the reason beside the field; nothing is saved.
  router.post('/account', (req, res) => {
    const f = formFields(req, ['email', 'encrypt', 'lock_minutes'], ['encrypt']);
    const typed = { email: f.email.trim(), encrypt: f.encrypt === '1', lockMinutes: f.lock_minutes.trim() };
    const error = refusal(res, typed, f.encrypt);
    if (error) return void page(res, typed, error);
    const id = locals(res).journalist!.id;
    store.journalists.setNotify(id, { email: typed.email || null, encrypt: typed.encrypt });
    store.journalists.setLockMinutes(id, Number(typed.lockMinutes));
    notice(res, 'staff.account.saved');
    res.redirect(303, '/account');
  });
  return router;
}
