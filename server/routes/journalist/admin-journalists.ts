import { Router, type Request, type Response } from 'express';
import { readJournalistKey } from '../../../common/envelope/index.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { renderConfirmation } from '../../views/journalist/confirm.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { formFields, usernameField, viewer, type JournalistDeps } from './common.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';
import type { Journalist } from '../../store/index.ts';

const HOME = '/admin/journalists';

/** Adding, disabling, enabling, resetting, re-keying and removing journalists (the admin gate is adminRoutes'). */
export function journalistAdminRoutes({ store, sessions, onionAccess }: JournalistDeps): Router {
  const router = Router();

  const target = (req: Request) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, said('staff.error.noJournalist'));
    return store.journalists.byId(id);
  };
  const notSelf = (res: Response, id: number, key: 'staff.error.notSelfDisable' | 'staff.error.notSelfRemove') => {
    if (locals(res).journalist!.id === id) throw new HttpError(409, said(key));
  };
  const backToAdmin = (res: Response) => ({ href: HOME, label: tOf(res).text('staff.notice.back') });
  const showLink = (req: Request, res: Response, j: { id: number; username: string }, first: string) => {
    const link = `${req.protocol}://${req.get('host')}/enrol/${store.journalists.createEnrolment(j.id)}`;
    // The device that opens the link over Tor needs the access key first: both go together, once.
    const access = onionAccess?.issue(j.id) ?? null;
    const t = tOf(res);
    const codes = access ? [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: access }] : [];
    res.type('html').send(renderNotice(t, t.text('staff.notice.enrolTitle'), [first, t.text('staff.notice.enrolGive', { username: j.username })], { viewer: viewer(res), code: link, codes, link: backToAdmin(res) }));
  };
  // Logged out everywhere, and (with onion services) their device no longer reaches the journalist onion.
  const shutOut = (id: number) => {
    sessions.destroyFor(id);
    onionAccess?.sync();
  };

  router.post('/admin/journalists', async (req, res) => {
    const f = formFields(req, ['username', 'public_key', 'admin'], ['admin']);
    usernameField(f.username);
    if (f.admin !== '' && f.admin !== '1') throw new HttpError(400, said('staff.error.adminField'));
    const key = await readJournalistKey(f.public_key.trim());
    const j = store.journalists.add({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: f.admin === '1' });
    showLink(req, res, j, tOf(res).text('staff.notice.added', { username: j.username }));
  });

  // Removal asks once, naming who goes; the confirmation's form posts back here.
  router.get('/admin/journalists/:id/remove', (req, res) => {
    const j = target(req);
    notSelf(res, j.id, 'staff.error.notSelfRemove');
    res.type('html').send(removal(res, j));
  });

  router.post('/admin/journalists/:id/:action', async (req, res) => {
    const j = target(req);
    const action = String(req.params.action);
    if (action === 'key') {
      const key = await readJournalistKey(formFields(req, ['public_key']).public_key.trim());
      store.journalists.replaceKey(j.id, { fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
      notice(res, 'staff.admin.done.keyReplaced', { username: j.username, fingerprint: key.fingerprint });
    } else if (action === 'disable' || action === 'enable') {
      if (action === 'disable') notSelf(res, j.id, 'staff.error.notSelfDisable');
      formFields(req, []);
      store.journalists.setActive(j.id, action === 'enable');
      shutOut(j.id);
      notice(res, action === 'enable' ? 'staff.admin.done.enabled' : 'staff.admin.done.disabled', { username: j.username });
    } else if (action === 'remove') {
      notSelf(res, j.id, 'staff.error.notSelfRemove');
      formFields(req, []);
      store.journalists.remove(j.username);
      shutOut(j.id);
      notice(res, 'staff.admin.done.removed', { username: j.username, fingerprint: j.fingerprint });
    } else if (action === 'reset') {
      formFields(req, []);
      store.journalists.setCredentials(j.id, { passwordHash: null, totpSecret: null });
      sessions.destroyFor(j.id);
      return showLink(req, res, j, tOf(res).text('staff.notice.reset', { username: j.username }));
    } else if (action === 'access' && onionAccess?.enabled) {
      formFields(req, []);
      const line = onionAccess.issue(j.id)!;
      store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'journalist.onion', detail: { journalist: j.username } });
      const t = tOf(res);
      const codes = [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: line }];
      return void res.type('html').send(renderNotice(t, t.text('staff.notice.accessTitle'), [t.text('staff.notice.accessOld', { username: j.username })], { viewer: viewer(res), codes, link: backToAdmin(res) }));
    } else throw new HttpError(404, said('staff.error.noAction'));
    res.redirect(303, HOME);
  });

  return router;
}

/** The one question before a journalist goes: who (username, key fingerprint) and what it means. */
function removal(res: Response, j: Journalist): string {
  const t = tOf(res);
  return renderConfirmation({
    t,
    viewer: viewer(res),
    title: t.text('staff.admin.removeTitle', { username: j.username }),
    lines: [{ text: t.text('staff.admin.removeWho', { username: j.username, fingerprint: j.fingerprint }) }],
    warning: t.text('staff.admin.removeWarning'),
    action: `/admin/journalists/${j.id}/remove`,
    confirm: t.text('staff.admin.removeConfirm', { username: j.username }),
    cancel: HOME,
  });
}
