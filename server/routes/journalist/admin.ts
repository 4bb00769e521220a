import { Router } from 'express';
import { renderJournalists } from '../../views/journalist/admin/journalists.ts';
import { renderRetention, renderNotifications } from '../../views/journalist/admin/settings.ts';
import { renderBranding } from '../../views/journalist/admin/branding.ts';
import { renderAddress } from '../../views/journalist/admin/address.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { requireAdmin, requireJournalist } from '../../http/session.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { journalistAdminRoutes } from './admin-journalists.ts';
import { deskAdminRoutes } from './admin-desks.ts';
import { changeAdminRoutes } from './admin-changes.ts';
import { awaitingEnable } from './two-person.ts';
import { auditAdminRoutes } from './admin-audit.ts';
import { purgeNow } from '../../retention.ts';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

/**
 * The admin area, one page a section: journalists, retention, branding (its forms post to
 * server/branding/routes.ts), notifications, and the address for sources. The CLI
 * (`sealdrop journalist ...`) acts on the same rows.
 */
export function adminRoutes(deps: JournalistDeps): Router {
  const { config, store, onionAccess, sourceOnion = null } = deps;
  const router = Router();
  router.use('/admin', requireJournalist, requireAdmin);
  // Every admin page warns while the two-person rule cannot hold (fewer than two active administrators).
  router.use('/admin', (_req, res, next) => {
    res.locals.fewAdmins = !store.changes.twoPerson();
    next();
  });
  const onions = () => onionAccess?.enabled ?? false;

  // The admin area opens on its journalists: the section a newsroom uses most.
  router.get(['/admin', '/admin/journalists'], (_req, res) => {
    res.type('html').send(renderJournalists({ t: tOf(res), viewer: viewer(res), journalists: store.journalists.list(), onions: onions(), awaiting: awaitingEnable(store) }));
  });
  router.get('/admin/retention', (_req, res) => {
    const retention = { setting: store.settings.retentionDays(), configured: config.retentionDays };
    res.type('html').send(renderRetention({ t: tOf(res), viewer: viewer(res), retention }));
  });
  router.get('/admin/branding', (_req, res) => {
    const branding = { texts: Object.fromEntries(LANGUAGES.map((l) => [l.tag, store.settings.ownBranding(l.tag)])), logo: store.settings.logo() !== null };
    res.type('html').send(renderBranding({ t: tOf(res), viewer: viewer(res), branding }));
  });
  router.get('/admin/notifications', (_req, res) => {
    const n = config.notify;
    const recipients = store.journalists.notifyRecipients().map((j) => j.username);
    const notify = { smtpHost: n.smtp?.host ?? null, webhook: n.webhook !== null, windowMinutes: n.windowMinutes, recipients };
    res.type('html').send(renderNotifications({ t: tOf(res), viewer: viewer(res), notify }));
  });
  router.get('/admin/address', (_req, res) => {
    // Without an onion service, sources reach the source listener itself (a mirror, a test drop).
    const address = sourceOnion ? `http://${sourceOnion}/` : (deps.sourceUrl ?? '');
    res.type('html').send(renderAddress({ t: tOf(res), viewer: viewer(res), address, onion: sourceOnion !== null }));
  });

  // Takes effect at once: what is now past retention is purged before the answer.
  router.post('/admin/retention', async (req, res) => {
    const { days } = formFields(req, ['days']);
    const value = days.trim();
    if (value !== '' && (!/^\d{1,5}$/.test(value) || Number(value) > 36500)) throw new HttpError(400, said('staff.error.retention'));
    store.settings.setRetentionDays(value === '' ? null : Number(value));
    store.audit.append({ actor: { username: viewer(res).username }, action: 'settings.retention', detail: { days: value === '' ? 'server' : Number(value) } });
    await purgeNow(config, store);
    notice(res, value === '' ? 'staff.admin.done.retentionServer' : 'staff.admin.done.retention', value === '' ? {} : { days: Number(value) });
    res.redirect(303, '/admin/retention');
  });

  router.use(journalistAdminRoutes(deps));
  router.use(deskAdminRoutes(deps));
  router.use(changeAdminRoutes(deps));
  router.use(auditAdminRoutes(deps));
  return router;
}
