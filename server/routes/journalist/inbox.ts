import { Router } from 'express';
import { objectOf } from '../../../common/export-layout.ts';
import { renderInbox, listUrl } from '../../views/journalist/inbox.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { idParam } from '../../http/validate.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { bulkRoutes } from './bulk.ts';
import { deleteRoutes } from './delete.ts';
import { listPlace } from './where.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

const MiB = 1024 * 1024;

export function inboxRoutes(deps: JournalistDeps): Router {
  const { store, config } = deps;
  const router = Router();
  router.use(requireJournalist);

  // The list, a page at a time; a page past the end goes to the last one (after deleting, say).
  router.get('/', async (req, res) => {
    const place = listPlace(req.query);
    const list = store.inbox.page(locals(res).journalist!.id, place.filter, place.page);
    if (place.page > list.pages) return void res.redirect(303, listUrl(place.filter, list.pages));
    const free = await store.space.free();
    const disk = free < config.minFreeBytes ? { freeMiB: Math.floor(free / MiB), floorMiB: Math.round(config.minFreeBytes / MiB) } : null;
    res.type('html').send(renderInbox({ t: tOf(res), list, filter: place.filter, viewer: viewer(res), disk }));
  });

  // Labels are ciphertext: the page decrypts them and filters the list by them; the server cannot.
  router.get('/labels', (_req, res) => {
    res.json({ labels: store.inbox.labels(locals(res).journalist!.id) });
  });

  router.post('/submissions/:id/seen', (req, res) => {
    formFields(req, []);
    const id = idParam(req, said('staff.error.noSubmission'));
    store.inbox.sourceOfSubmission(id, locals(res).journalist!.id); // 404 unless complete and this journalist's to see
    store.inbox.markSeen(id, locals(res).journalist!.id);
    res.status(204).end();
  });

  router.use(bulkRoutes(deps));
  router.use(deleteRoutes(deps));

  // The encrypted objects, exactly as stored: decryption happens in the journalist's browser.
  router.get('/submissions/:id/:object', (req, res, next) => {
    const id = idParam(req, said('staff.error.noSubmission'));
    const name = String(req.params.object);
    const object = objectOf(name);
    if (!object) throw new HttpError(404, said('staff.error.noFile'));
    store.inbox.sourceOfSubmission(id, locals(res).journalist!.id); // another desk's item is "not found" like an unknown one
    const objects = store.submissions.objects(id);
    const blob = object.kind === 'part' ? objects.parts[object.n - 1] : objects.manifest;
    if (!blob) throw new HttpError(404, said('staff.error.noPart'));
    res.type('application/octet-stream');
    res.setHeader('Content-Disposition', `attachment; filename="${name}"`);
    store.blobs.stream(blob).on('error', next).pipe(res);
  });

  return router;
}
