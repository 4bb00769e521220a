import { Router, type Request, type Response } from 'express';
import { renderChanges, type ChangeView } from '../../views/journalist/admin/changes.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { showAccess, showEnrolment } from './admin-journalists.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';
import { ChangeRefusedError, type ChangePayloads, type PendingChange } from '../../store/index.ts';

const HOME = '/admin/changes';

const toView = (c: PendingChange, me: number, block: 'mine' | 'linked' | null): ChangeView => ({
  id: c.id,
  kind: c.kind,
  username: c.journalist ?? '',
  added: c.added,
  desk: c.desk ?? null,
  action: c.action ?? null,
  requestedBy: c.requestedById === null ? null : c.requestedBy,
  requestedDay: c.requestedDay,
  mine: c.requestedById === me,
  linked: block === 'linked',
  digest: c.digest,
});

/** /admin/changes: what waits for a second administrator, confirmed or rejected here (the admin gate is adminRoutes'). */
export function changeAdminRoutes({ store, sessions, onionAccess }: JournalistDeps): Router {
  const router = Router();
  const me = (res: Response) => locals(res).journalist!;
  const change = (req: Request): PendingChange => {
    const id = String(req.params.id);
    if (!/^\d{1,15}$/.test(id)) throw new HttpError(404, said('store.change.none'));
    return store.changes.get(Number(id));
  };

  router.get(HOME, (_req, res) => {
    store.changes.dropStale(); // a change naming what is gone (a conversation deleted meanwhile) could never be confirmed
    const changes = store.changes.pending().map((c) => toView(c, me(res).id, store.changes.confirmBlock(c, me(res).id)));
    res.type('html').send(renderChanges({ t: tOf(res), viewer: viewer(res), changes }));
  });

  router.post('/admin/changes/:id/confirm', async (req, res) => {
    const c = change(req);
    // The digest of the change as the page showed it: a different change under this id is refused.
    const { digest } = formFields(req, ['digest']);
    try {
      await store.changes.confirm(c.id, me(res).id, digest);
    } catch (e) {
      // Said plainly, with the stable code: the requester cannot be their own second administrator.
      if (e instanceof ChangeRefusedError && e.code === 'same_admin' && c.requestedById === me(res).id) throw new HttpError(409, said('staff.changes.error.sameAdmin'), 'same_admin');
      // move_withdrawn (a move whose conversation changed since: the store dropped it) is its own 409, saying to ask again.
      throw e;
    }
    const action = c.kind === 'admin' ? (c.payload as ChangePayloads['admin']).action : null;
    // A key that now opens, or an administrator taken away: sessions and onion access follow at once.
    if (action === 'disable' || action === 'remove' || action === 'demote' || action === 'reset') sessions.destroyFor((c.payload as ChangePayloads['admin']).journalistId);
    if (c.kind === 'admin' || c.kind === 'enable') onionAccess?.sync();
    if (action === 'onion' && onionAccess?.enabled) return showAccess({ store, onionAccess }, res, store.journalists.byId((c.payload as ChangePayloads['admin']).journalistId), HOME);
    // A reset administrator enrols again: the one who confirmed it hands over the new link.
    if (c.kind === 'admin' && c.action === 'reset') {
      const j = store.journalists.byId((c.payload as ChangePayloads['admin']).journalistId);
      return showEnrolment({ store, onionAccess }, req, res, j, tOf(res).text('staff.notice.reset', { username: j.username }), HOME);
    }
    notice(res, 'staff.changes.done.confirmed', { username: c.journalist ?? c.desk ?? '' });
    res.redirect(303, HOME);
  });

  router.post('/admin/changes/:id/reject', (req, res) => {
    const c = change(req);
    const { digest } = formFields(req, ['digest']);
    store.changes.reject(c.id, me(res).id, digest);
    notice(res, 'staff.changes.done.rejected', { username: c.journalist ?? c.desk ?? '' });
    res.redirect(303, HOME);
  });

  return router;
}
