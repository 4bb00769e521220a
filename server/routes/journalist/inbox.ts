import { Router } from 'express';
import { objectOf } from '../../../common/export-layout.ts';
import { renderConfirm } from '../../views/journalist/frame.ts';
import { renderInbox } from '../../views/journalist/inbox.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { idParam } from '../../http/validate.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

const MiB = 1024 * 1024;

export function inboxRoutes({ store, config }: JournalistDeps): Router {
  const router = Router();
  router.use(requireJournalist);

  router.get('/', async (_req, res) => {
    const v = viewer(res);
    const free = await store.space.free();
    const disk = free < config.minFreeBytes ? { freeMiB: Math.floor(free / MiB), floorMiB: Math.round(config.minFreeBytes / MiB) } : null;
    res.type('html').send(renderInbox({ t: tOf(res), sources: store.inbox.list(locals(res).journalist!.id), viewer: v, disk }));
  });

  router.post('/submissions/:id/seen', (req, res) => {
    formFields(req, []);
    const id = idParam(req, said('staff.error.noSubmission'));
    store.submissions.objects(id); // 404 unless it exists and is complete
    store.inbox.markSeen(id, locals(res).journalist!.id);
    res.status(204).end();
  });

  // Deleting asks first (a confirmation page), then removes the rows and the stored objects.
  const deletable = [
    { path: 'submissions', remove: (id: string) => store.inbox.deleteSubmission(id), title: 'staff.confirm.submissionTitle', message: 'staff.confirm.submission', missing: said('staff.error.noSubmission') },
    { path: 'sources', remove: (id: string) => store.inbox.deleteSource(id), title: 'staff.confirm.sourceTitle', message: 'staff.confirm.source', missing: said('staff.error.noSource') },
  ];
  for (const d of deletable) {
    router.get(`/${d.path}/:id/delete`, (req, res) => {
      const id = idParam(req, d.missing);
      const v = viewer(res);
      const t = tOf(res);
      res.type('html').send(renderConfirm({ t, title: t.text(d.title), message: t.text(d.message), action: `/${d.path}/${id}/delete`, csrf: v.csrf, viewer: v }));
    });
    router.post(`/${d.path}/:id/delete`, async (req, res) => {
      formFields(req, []);
      await d.remove(idParam(req, d.missing));
      res.redirect(303, '/');
    });
  }

  // The encrypted objects, exactly as stored: decryption happens in the journalist's browser.
  router.get('/submissions/:id/:object', (req, res, next) => {
    const id = idParam(req, said('staff.error.noSubmission'));
    const name = String(req.params.object);
    const object = objectOf(name);
    if (!object) throw new HttpError(404, said('staff.error.noFile'));
    const objects = store.submissions.objects(id);
    const blob = object.kind === 'part' ? objects.parts[object.n - 1] : objects.manifest;
    if (!blob) throw new HttpError(404, said('staff.error.noPart'));
    res.type('application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    store.blobs.stream(blob).on('error', next).pipe(res);
  });

  return router;
}
