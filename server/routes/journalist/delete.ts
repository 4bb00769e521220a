import { Router, type Request } from 'express';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { idParam } from '../../http/validate.ts';
import type { ConversationSummary } from '../../store/index.ts';
import { renderConfirmation } from '../../views/journalist/confirm.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { returnPath } from './where.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

/** `?return=` on the confirmation's own address: where Cancel (and, for an item, the delete) leads. */
const queryReturn = (req: Request): string | undefined => (typeof req.query.return === 'string' ? req.query.return : undefined);

/**
 * A whole conversation, or one item of it: each asks once, naming what goes, then says what went.
 * What the journalist may not see (another desk's) is "not found", like an unknown id.
 */
export function deleteRoutes({ store }: Pick<JournalistDeps, 'store'>): Router {
  const router = Router();
  // Only a member of its conversation's desk deletes an item (for everyone): one shown it as a shared item gets the 404 of an unknown id.
  const wholeOf = (id: string, j: number): string => {
    const source = store.inbox.sourceOfSubmission(id, j);
    store.access.assertWhole(j, source, said('staff.error.noSubmission'));
    return source;
  };
  const deletable = [
    {
      path: 'sources',
      missing: said('staff.error.noSource'),
      // The conversation itself: its designation, label and every item in it.
      what: (id: string, j: number): { source: ConversationSummary; title: string; warning: string } => ({ source: store.inbox.summaries([id], j)[0]!, title: 'staff.confirm.sourceTitle', warning: 'staff.confirm.source' }),
      remove: async (id: string, s: ConversationSummary, j: number) => {
        await store.inbox.remove([id], j);
        return { key: 'staff.notice.deletedSource', params: { designation: s.designation, count: s.items }, after: '/' };
      },
    },
    {
      path: 'submissions',
      missing: said('staff.error.noSubmission'),
      // One item: named by its conversation's designation and label.
      what: (id: string, j: number) => ({ source: { ...store.inbox.summaries([wholeOf(id, j)], j)[0]!, items: 1 }, title: 'staff.confirm.submissionTitle', warning: 'staff.confirm.submission' }),
      remove: async (id: string, s: ConversationSummary, j: number) => {
        await store.inbox.deleteSubmission(id, j);
        return { key: 'staff.notice.deletedSubmission', params: { designation: s.designation }, after: `/conversations/${s.id}` };
      },
    },
  ];
  for (const d of deletable) {
    router.get(`/${d.path}/:id/delete`, (req, res) => {
      const id = idParam(req, d.missing);
      const { source, title, warning } = d.what(id, locals(res).journalist!.id);
      const back = returnPath(queryReturn(req), `/conversations/${source.id}`);
      const t = tOf(res);
      const html = renderConfirmation({
        t,
        viewer: viewer(res),
        title: t.text(title),
        lines: [{ source }],
        warning: t.text(warning),
        action: `/${d.path}/${id}/delete`,
        hidden: [['return', back]],
        confirm: t.text('staff.confirm.yes'),
        cancel: back,
      });
      res.type('html').send(html);
    });
    router.post(`/${d.path}/:id/delete`, async (req, res) => {
      const f = formFields(req, ['return'], ['return']);
      const id = idParam(req, d.missing);
      const back = returnPath(f.return, '');
      const j = locals(res).journalist!.id;
      const { source } = d.what(id, j);
      const done = await d.remove(id, source, j);
      store.audit.append({ actor: { username: locals(res).journalist!.username }, action: d.path === 'sources' ? 'delete.conversation' : 'delete.item' }); // no id: nothing that names the source
      notice(res, done.key, done.params);
      // A deleted conversation cannot be gone back to: its list page, or the list.
      res.redirect(303, back === '' || back === `/conversations/${source.id}` ? done.after : back);
    });
  }
  return router;
}
