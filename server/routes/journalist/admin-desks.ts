import { Router, type Request, type Response } from 'express';
import { renderDesks, type DeskView } from '../../views/journalist/admin/desks.ts';
import { renderConfirmation } from '../../views/journalist/confirm.ts';
import { HttpError } from '../../http/errors.ts';
import { notice } from '../../http/notice.ts';
import { locals } from '../../http/session.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { pendingMembers, requestChange } from './two-person.ts';
import { LANGUAGES } from '../../../common/i18n/languages.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';
import type { DeskTexts } from '../../store/desks.ts';
import type { Store } from '../../store/index.ts';

const HOME = '/admin/desks';
const TEXT_FIELDS = LANGUAGES.flatMap((l) => [`name_${l.tag}`, `description_${l.tag}`]);

/** name_<tag> and description_<tag> for every language; the store trims, bounds and drops empty ones. */
function textsFrom(f: Record<string, string>): DeskTexts {
  return Object.fromEntries(LANGUAGES.map((l) => [l.tag, { name: f[`name_${l.tag}`] ?? '', description: f[`description_${l.tag}`] ?? '' }]));
}

const positiveId = (value: unknown, missing: 'staff.desks.error.noDesk' | 'staff.error.noJournalist'): number => {
  const id = Number(value);
  if (typeof value !== 'string' || !/^\d{1,15}$/.test(value) || id < 1) throw new HttpError(404, said(missing));
  return id;
};

/** Every desk with its members and those waiting for a second administrator's confirmation. */
function deskViews(store: Store): DeskView[] {
  const waiting = pendingMembers(store);
  return store.desks.list().map((d) => ({
    id: d.id,
    name: d.name,
    texts: Object.fromEntries(Object.entries(d.texts).flatMap(([tag, v]) => (v ? [[tag, v]] : []))),
    members: store.desks.members(d.id).map((j) => ({ id: j.id, username: j.username })),
    pending: waiting.filter((w) => w.deskId === d.id).map((w) => ({ id: w.journalistId, username: w.username })),
  }));
}

/** /admin/desks: creating desks, their texts for sources, their members, and removing them (the admin gate is adminRoutes'). */
export function deskAdminRoutes({ store }: JournalistDeps): Router {
  const router = Router();
  const actor = (res: Response) => ({ username: locals(res).journalist!.username });
  const desk = (req: Request) => store.desks.byId(positiveId(req.params.id, 'staff.desks.error.noDesk'));

  router.get(HOME, (_req, res) => {
    const journalists = store.journalists.list().map((j) => ({ id: j.id, username: j.username }));
    res.type('html').send(renderDesks({ t: tOf(res), viewer: viewer(res), desks: deskViews(store), journalists }));
  });

  router.post(HOME, (req, res) => {
    const f = formFields(req, ['slug', ...TEXT_FIELDS], TEXT_FIELDS);
    const d = store.desks.create((f.slug ?? '').trim(), textsFrom(f), actor(res));
    notice(res, 'staff.desks.done.added', { desk: d.name });
    res.redirect(303, HOME);
  });

  router.post('/admin/desks/:id', (req, res) => {
    const d = desk(req);
    store.desks.setTexts(d.id, textsFrom(formFields(req, TEXT_FIELDS, TEXT_FIELDS)), actor(res));
    notice(res, 'staff.desks.done.texts', { desk: d.name });
    res.redirect(303, HOME);
  });

  // Adding a reader waits for a second administrator (where there are two); removing one is at once.
  router.post('/admin/desks/:id/members', async (req, res) => {
    const d = desk(req);
    const f = formFields(req, ['journalist', 'remove'], ['remove']);
    if (f.remove !== '' && f.remove !== '1') throw new HttpError(400, said('staff.desks.error.removeField'));
    const j = store.journalists.byId(positiveId(f.journalist, 'staff.error.noJournalist'));
    if (f.remove === '1') {
      store.desks.removeMember(d.id, j.id, actor(res));
      notice(res, 'staff.desks.done.memberRemoved', { desk: d.name, username: j.username });
    } else {
      const held = await requestChange(store, res, 'member', { deskId: d.id, journalistId: j.id });
      notice(res, held ? 'staff.desks.done.memberPending' : 'staff.desks.done.memberAdded', { desk: d.name, username: j.username });
    }
    res.redirect(303, HOME);
  });

  // Removal asks once, naming the desk; the confirmation's form posts back here.
  router.get('/admin/desks/:id/delete', (req, res) => {
    const d = desk(req);
    const t = tOf(res);
    res.type('html').send(
      renderConfirmation({
        t,
        viewer: viewer(res),
        title: t.text('staff.desks.deleteTitle', { desk: d.name }),
        lines: [{ text: t.text('staff.desks.deleteWho', { desk: d.name, members: store.desks.members(d.id).length }) }],
        warning: t.text('staff.desks.deleteWarning'),
        action: `/admin/desks/${d.id}/delete`,
        confirm: t.text('staff.desks.deleteConfirm', { desk: d.name }),
        cancel: HOME,
      }),
    );
  });

  router.post('/admin/desks/:id/delete', (req, res) => {
    const d = desk(req);
    formFields(req, []);
    store.desks.remove(d.id, actor(res));
    notice(res, 'staff.desks.done.deleted', { desk: d.name });
    res.redirect(303, HOME);
  });

  return router;
}
