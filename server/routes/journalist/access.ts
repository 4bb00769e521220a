import { Router } from 'express';
import { renderAccess } from '../../views/journalist/access.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { viewer, type JournalistDeps } from './common.ts';
import { tOf } from '../../i18n/middleware.ts';
import type { Notice } from '../../http/notice.ts';
import type { Store } from '../../store/index.ts';

// Changes to who can read what are few (a newsroom's keys and desks): the page shows them all.
const ALL = 1_000_000;

/**
 * The login's notice when the access log has entries this journalist has not been shown on
 * /access; it links there. Undefined when there is nothing new.
 */
export function accessNotice(store: Store, journalistId: number): Notice | undefined {
  const unseen = store.audit.withPrefix('access.', store.journalists.accessSeen(journalistId), 1);
  return unseen.length > 0 ? { key: 'staff.access.changedNotice', params: {}, href: '/access' } : undefined;
}

/** GET /access: every journalist reads every `access.*` entry, newest first; opening it marks them seen. */
export function accessRoutes({ store }: JournalistDeps): Router {
  const router = Router();
  router.get('/access', requireJournalist, (_req, res) => {
    const entries = store.audit.withPrefix('access.', 0, ALL).reverse();
    const page = renderAccess({ t: tOf(res), viewer: viewer(res), entries });
    if (entries.length > 0) store.journalists.setAccessSeen(locals(res).journalist!.id, entries[0]!.seq);
    res.type('html').send(page);
  });
  return router;
}
