import { Router, type Request, type Response } from 'express';
import { readJournalistKey } from '../../../common/envelope/index.ts';
import { renderAdmin } from '../../views/journalist/admin.ts';
import { renderNotice } from '../../views/journalist/frame.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireAdmin, requireJournalist } from '../../http/session.ts';
import { formFields, usernameField, viewer, type JournalistDeps } from './common.ts';
import { purgeNow } from '../../retention.ts';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

/** Admin actions; the CLI (`sealdrop journalist ...`) acts on the same rows. */

export function adminRoutes({ config, store, sessions, onionAccess, sourceOnion = null }: JournalistDeps): Router {
  const router = Router();
  router.use('/admin', requireJournalist, requireAdmin);

  const target = (req: Request) => {
    const id = Number(req.params.id);
    if (!Number.isSafeInteger(id) || id < 1) throw new HttpError(404, said('staff.error.noJournalist'));
    return store.journalists.byId(id);
  };
  const notSelf = (res: Response, id: number, key: 'staff.error.notSelfDisable' | 'staff.error.notSelfRemove') => {
    if (locals(res).journalist!.id === id) throw new HttpError(409, said(key));
  };
  const backToAdmin = (res: Response) => ({ href: '/admin', label: tOf(res).text('staff.notice.back') });
  const showLink = (req: Request, res: Response, j: { id: number; username: string }, first: string) => {
    const link = `${req.protocol}://${req.get('host')}/enrol/${store.journalists.createEnrolment(j.id)}`;
    // The device that opens the link over Tor needs the access key first: both go together, once.
    const access = onionAccess?.issue(j.id) ?? null;
    const t = tOf(res);
    const codes = access ? [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: access }] : [];
    res.type('html').send(renderNotice(t, t.text('staff.notice.enrolTitle'), [first, t.text('staff.notice.enrolGive', { username: j.username })], { viewer: viewer(res), code: link, codes, link: backToAdmin(res) }));
  };

  router.get('/admin', (_req, res) => {
    const retention = { setting: store.settings.retentionDays(), configured: config.retentionDays };
    const branding = { texts: Object.fromEntries(LANGUAGES.map((l) => [l.tag, store.settings.ownBranding(l.tag)])), logo: store.settings.logo() !== null };
    res.type('html').send(renderAdmin({ t: tOf(res), journalists: store.journalists.list(), viewer: viewer(res), sourceOnion, onions: onionAccess?.enabled ?? false, retention, branding }));
  });

  // Takes effect at once: what is now past retention is purged before the answer.
  router.post('/admin/retention', async (req, res) => {
    const { days } = formFields(req, ['days']);
    const value = days.trim();
    if (value !== '' && (!/^\d{1,5}$/.test(value) || Number(value) > 36500)) throw new HttpError(400, said('staff.error.retention'));
    store.settings.setRetentionDays(value === '' ? null : Number(value));
    await purgeNow(config, store);
    res.redirect(303, '/admin');
  });

  router.post('/admin/journalists', async (req, res) => {
    const f = formFields(req, ['username', 'public_key', 'admin'], ['admin']);
    usernameField(f.username);
    if (f.admin !== '' && f.admin !== '1') throw new HttpError(400, said('staff.error.adminField'));
    const key = await readJournalistKey(f.public_key.trim());
    const j = store.journalists.add({ username: f.username, fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored, isAdmin: f.admin === '1' });
    showLink(req, res, j, tOf(res).text('staff.notice.added', { username: j.username }));
  });

  router.post('/admin/journalists/:id/:action', async (req, res) => {
    const j = target(req);
    const action = String(req.params.action);
    if (action === 'key') {
      const f = formFields(req, ['public_key']);
      const key = await readJournalistKey(f.public_key.trim());
      store.journalists.replaceKey(j.id, { fingerprint: key.fingerprint, recipientKeyId: key.recipientKeyId, publicKey: key.armored });
    } else if (action === 'disable' || action === 'enable') {
      if (action === 'disable') notSelf(res, j.id, 'staff.error.notSelfDisable');
      formFields(req, []);
      store.journalists.setActive(j.id, action === 'enable');
      sessions.destroyFor(j.id);
      onionAccess?.sync(); // a disabled journalist's device no longer reaches the onion service
    } else if (action === 'remove') {
      notSelf(res, j.id, 'staff.error.notSelfRemove');
      formFields(req, []);
      store.journalists.remove(j.username);
      sessions.destroyFor(j.id);
      onionAccess?.sync();
    } else if (action === 'reset') {
      formFields(req, []);
      store.journalists.setCredentials(j.id, { passwordHash: null, totpSecret: null });
      sessions.destroyFor(j.id);
      return showLink(req, res, j, tOf(res).text('staff.notice.reset', { username: j.username }));
    } else if (action === 'access' && onionAccess?.enabled) {
      formFields(req, []);
      const line = onionAccess.issue(j.id)!;
      const t = tOf(res);
      const codes = [{ id: 'notice-access', label: t.text('staff.notice.accessKey'), value: line }];
      return void res.type('html').send(renderNotice(t, t.text('staff.notice.accessTitle'), [t.text('staff.notice.accessOld', { username: j.username })], { viewer: viewer(res), codes, link: backToAdmin(res) }));
    } else throw new HttpError(404, said('staff.error.noAction'));
    res.redirect(303, '/admin');
  });

  return router;
}
