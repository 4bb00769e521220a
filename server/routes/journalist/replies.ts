import express, { Router } from 'express';
import { assertAddressedTo } from '../../../common/envelope/index.ts';
import { HttpError } from '../../http/errors.ts';
import { requireJournalist } from '../../http/session.ts';
import { bodyBytes } from '../../http/validate.ts';
import { recipientsOf } from '../../recipients.ts';
import { formFields, idParam, type JournalistDeps } from './common.ts';

const ID = /^[0-9a-f]{32}$/;
const MAX_REPLY_BYTES = 256 * 1024;

/** Conversations: journalists star sources and reply; replies are encrypted in the journalist's browser. */
export function replyRoutes({ store }: JournalistDeps): Router {
  const router = Router();
  const journalistKeys = recipientsOf(store);
  router.use(['/sources', '/replies'], requireJournalist);

  router.post('/sources/:id/star', (req, res) => {
    const f = formFields(req, ['starred']);
    store.sources.setStarred(idParam(req, ID, 'source'), f.starred === '1');
    res.redirect(303, '/');
  });

  /** Who a reply must be encrypted to: the source, and every journalist so colleagues can read it. */
  router.get('/sources/:id/keys', async (req, res) => {
    const source = store.sources.get(idParam(req, ID, 'source'));
    res.json({ keys: [source.publicKey, ...(await journalistKeys()).armored] });
  });

  router.post('/sources/:id/replies', express.raw({ type: 'application/octet-stream', limit: MAX_REPLY_BYTES }), async (req, res) => {
    const source = store.sources.get(idParam(req, ID, 'source'));
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, 'Send the encrypted reply as application/octet-stream.');
    const data = bodyBytes(req);
    // The server cannot read replies either; it only checks they are addressed to exactly the right keys.
    await assertAddressedTo(data, [source.recipientKeyId, ...(await journalistKeys()).keyIds]);
    res.status(201).json({ reply: await store.replies.add(source.id, data) });
  });

  router.get('/replies/:id', (req, res, next) => {
    const match = /^([0-9a-f]{32})\.pgp$/.exec(String(req.params.id));
    if (!match) throw new HttpError(404, 'No such reply.');
    res.type('application/octet-stream');
    store.blobs.stream(store.replies.blobById(match[1]!)).on('error', next).pipe(res);
  });

  return router;
}
