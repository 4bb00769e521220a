import { Router, type Request, type Response } from 'express';
import { isId } from '../../../common/ids.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { idParam } from '../../http/validate.ts';
import { BULK_ACTIONS, type BulkAction, type ConversationSummary } from '../../store/index.ts';
import { renderConfirmation } from '../../views/journalist/confirm.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { returnPath } from './where.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

const MAX_BULK = 200;
const FIELDS = ['action', 'ids', 'return', 'confirmed'];

const DONE: Record<Exclude<BulkAction, 'delete'>, string> = {
  star: 'staff.notice.starred',
  unstar: 'staff.notice.unstarred',
  done: 'staff.notice.markedDone',
  reopen: 'staff.notice.reopened',
  read: 'staff.notice.markedRead',
  unread: 'staff.notice.markedUnread',
};

type Bulk = { action: BulkAction; ids: string[]; back: string; confirmed: boolean };

/** The bulk form: one action, 1 to 200 ids (repeated `ids` fields), where to go back; nothing else. */
function bulkFields(req: Request): Bulk {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const extra = Object.keys(body).find((k) => k !== 'csrf' && !FIELDS.includes(k));
  if (extra !== undefined) throw new HttpError(400, said('error.unexpectedField', { field: extra }));
  const field = (name: string) => {
    const v = body[name];
    if (v !== undefined && typeof v !== 'string') throw new HttpError(400, said('staff.error.fieldText', { field: name }));
    return v;
  };
  const action = field('action');
  if (!(BULK_ACTIONS as readonly (string | undefined)[]).includes(action)) throw new HttpError(400, said('staff.error.bulkAction'));
  const raw = body.ids === undefined ? [] : Array.isArray(body.ids) ? (body.ids as unknown[]) : [body.ids];
  if (raw.length < 1 || raw.length > MAX_BULK) throw new HttpError(400, said('staff.error.bulkCount', { max: MAX_BULK }));
  if (!raw.every((id) => isId(id))) throw new HttpError(400, said('staff.error.bulkId'));
  const confirmed = field('confirmed');
  if (confirmed !== undefined && confirmed !== '1') throw new HttpError(400, said('staff.error.bulkConfirmed'));
  return { action: action as BulkAction, ids: [...new Set(raw as string[])], back: returnPath(field('return')), confirmed: confirmed === '1' };
}

/** Asks before deleting: how many, and which (designation, label filled in by the page, items). */
function confirmDelete(res: Response, b: Bulk, found: ConversationSummary[]): void {
  const t = tOf(res);
  const hidden: [string, string][] = [['action', 'delete'], ['confirmed', '1'], ['return', b.back], ...found.map((s): [string, string] => ['ids', s.id])];
  const html = renderConfirmation({
    t,
    viewer: viewer(res),
    title: t.text('staff.confirm.bulkTitle', { count: found.length }),
    lines: found.map((source) => ({ source })),
    warning: t.text('staff.confirm.bulk'),
    action: '/conversations/bulk',
    hidden,
    confirm: t.text('staff.confirm.yes'),
    cancel: b.back,
  });
  res.type('html').send(html);
}

/** Star and done are the conversation's own: a journalist shown only a shared item there gets the 404 of an unknown id. */
function wholeOnly(store: JournalistDeps['store'], ids: readonly string[], journalistId: number): void {
  for (const id of ids) store.access.assertWhole(journalistId, id, said('staff.error.noSource'));
}

/** Star, done, read... on the selected conversations at once, all or none; delete asks first. */
export function bulkRoutes({ store }: Pick<JournalistDeps, 'store'>): Router {
  const router = Router();
  router.post('/conversations/bulk', async (req, res) => {
    const b = bulkFields(req);
    if (b.action === 'delete') {
      const journalistId = locals(res).journalist!.id;
      if (!b.confirmed) return confirmDelete(res, b, store.inbox.summaries(b.ids, journalistId));
      const gone = await store.inbox.remove(b.ids, journalistId);
      store.audit.append({ actor: { username: locals(res).journalist!.username }, action: 'delete.bulk', detail: { conversations: gone.length } });
      notice(res, 'staff.notice.deletedMany', { count: gone.length });
      if (gone.some((s) => b.back === `/conversations/${s.id}`)) return void res.redirect(303, '/');
    } else {
      if (b.confirmed) throw new HttpError(400, said('staff.error.bulkConfirmed'));
      if (b.action !== 'read' && b.action !== 'unread') wholeOnly(store, b.ids, locals(res).journalist!.id);
      const count = store.inbox.apply(b.action, b.ids, locals(res).journalist!.id);
      notice(res, DONE[b.action], { count });
    }
    res.redirect(303, b.back);
  });

  // One conversation's star or done (its own page's buttons): the same change as a bulk of one.
  const single = [
    { path: 'star', field: 'starred', on: 'star', off: 'unstar' },
    { path: 'done', field: 'done', on: 'done', off: 'reopen' },
  ] as const;
  for (const s of single) {
    router.post(`/sources/:id/${s.path}`, (req, res) => {
      const f = formFields(req, [s.field, 'return'], ['return']);
      if (f[s.field] !== '0' && f[s.field] !== '1') throw new HttpError(400, said('staff.error.flag', { field: s.field }));
      const id = idParam(req, said('staff.error.noSource'));
      const back = returnPath(f.return, `/conversations/${id}`);
      const action = f[s.field] === '1' ? s.on : s.off;
      wholeOnly(store, [id], locals(res).journalist!.id);
      notice(res, DONE[action], { count: store.inbox.apply(action, [id], locals(res).journalist!.id) });
      res.redirect(303, back);
    });
  }
  return router;
}
