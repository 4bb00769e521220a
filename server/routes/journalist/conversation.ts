import { Router, type Request } from 'express';
import { renderConversation } from '../../views/journalist/conversation.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { idParam } from '../../http/validate.ts';
import { formFields, viewer, type JournalistDeps } from './common.ts';
import { returnPath } from './where.ts';
import { tOf } from '../../i18n/middleware.ts';
import { said } from '../../i18n/said.ts';

/** A fetch from the page asks for no page back; a plain form (no script) is sent back where it was. */
const fromScript = (req: Request): boolean => req.get('x-csrf-token') !== undefined;

/** One conversation: the thread of a source's items and the newsroom's replies, and read state per journalist. */
export function conversationRoutes({ store }: Pick<JournalistDeps, 'store'>): Router {
  const router = Router();
  router.use(['/conversations', '/submissions'], requireJournalist);

  router.get('/conversations/:sourceId', (req, res) => {
    const id = idParam(req, said('staff.conv.gone'), req.params.sourceId);
    const conversation = store.thread.of(id, locals(res).journalist!.id);
    // One shown only shared items reads them; acting on the conversation is its desk's members' (404 for others).
    const whole = store.access.readsWhole(locals(res).journalist!.id, id);
    res.type('html').send(renderConversation({ t: tOf(res), conversation, viewer: viewer(res), whole }));
  });

  // "I opened it" and "mark unread", for this journalist only: colleagues keep their own state.
  router.post('/submissions/:id/unseen', (req, res) => {
    const f = formFields(req, ['return'], ['return']);
    const id = idParam(req, said('staff.error.noSubmission'));
    const back = returnPath(f.return, '/');
    store.thread.markUnseen(id, locals(res).journalist!.id);
    if (fromScript(req)) return void res.status(204).end();
    res.redirect(303, back);
  });

  return router;
}
