import { Router, type Request } from 'express';
import { HttpError } from '../../http/errors.ts';
import { requireAdmin, requireJournalist } from '../../http/session.ts';
import { renderAudit } from '../../views/journalist/admin/audit.ts';
import { viewer, type JournalistDeps } from './common.ts';
import { checkInSlices } from '../../audit/check.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

/** Entries a page: enough to read a day's work at a glance, few enough for a phone. */
export const AUDIT_PAGE = 100;

/** `?before=SEQ`: the page of entries older than SEQ; absent, the newest. Anything else is a 400. */
function beforeParam(req: Request): number | undefined {
  const v = req.query.before;
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !/^[1-9]\d{0,14}$/.test(v)) throw new HttpError(400, said('staff.audit.error.before'));
  return Number(v);
}

/**
 * GET /admin/audit: administrators read the audit log, newest first, a page at a time. The whole
 * chain is checked on every visit (a SHA-256 an entry, in slices that leave the event loop to
 * others), so what the top of the page says about it is true now, not when the server started.
 */
export function auditAdminRoutes({ store }: Pick<JournalistDeps, 'store'>): Router {
  const router = Router();
  router.use('/admin/audit', requireJournalist, requireAdmin);
  router.get('/admin/audit', async (req, res) => {
    const before = beforeParam(req);
    const { broken, count, head: checked } = await checkInSlices(store);
    // Broken: the head stored last, past the break (the checked one ends before it).
    const head = broken ? store.audit.head() : checked;
    // One more than a page tells whether an older page exists.
    const rows = store.audit.latest(AUDIT_PAGE + 1, before);
    const entries = rows.slice(0, AUDIT_PAGE);
    const older = rows.length > AUDIT_PAGE ? entries[entries.length - 1]!.seq : null;
    res.type('html').send(renderAudit({ t: tOf(res), viewer: viewer(res), audit: { head, count, broken, entries, older, paged: before !== undefined } }));
  });
  return router;
}
