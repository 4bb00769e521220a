import express, { Router } from 'express';
import { assertPaddedText } from '../../../common/envelope/pad-text.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { bodyBytes, idParam } from '../../http/validate.ts';
import type { RecipientSet } from '../../recipients.ts';
import type { JournalistDeps } from './common.ts';
import { said } from '../../i18n/said.ts';

const MAX_REPLY_BYTES = 256 * 1024;
// A label is a few words; its ciphertext carries one session key per journalist (about 100 bytes each).
const MAX_LABEL_BYTES = 16 * 1024;

/** Conversations: journalists label sources and reply; replies are encrypted in the journalist's browser. */
export function replyRoutes({ store, recipients: journalistKeys }: Pick<JournalistDeps, 'store'> & { recipients: () => Promise<RecipientSet> }): Router {
  const router = Router();
  router.use(['/sources', '/replies'], requireJournalist);

  // Star and done (one conversation or many) are in bulk.ts, beside the list's bulk actions.

  // A label is encrypted in the journalist's page to every journalist's key (never the source's):
  // the server stores ciphertext it checked is addressed to exactly those keys, or clears it.
  router.post('/sources/:id/label', express.raw({ type: 'application/octet-stream', limit: MAX_LABEL_BYTES }), async (req, res) => {
    const source = store.sources.get(idParam(req, said('staff.error.noSource')));
    if (req.get('content-length') === '0') return void (store.sources.setLabel(source.id, null), res.status(204).end()); // cleared
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, said('error.octetStream'));
    const data = bodyBytes(req);
    // Padded to one size inside the encryption: the stored label must not show the name's length.
    assertPaddedText(data, 'label', (await journalistKeys()).keyIds);
    store.sources.setLabel(source.id, Buffer.from(data).toString('base64'));
    res.status(204).end();
  });

  /** Who a reply must be encrypted to: the source, and every journalist so colleagues can read it. */
  router.get('/sources/:id/keys', async (req, res) => {
    const source = store.sources.get(idParam(req, said('staff.error.noSource')));
    res.json({ keys: [source.publicKey, ...(await journalistKeys()).armored] });
  });

  router.post('/sources/:id/replies', express.raw({ type: 'application/octet-stream', limit: MAX_REPLY_BYTES }), async (req, res) => {
    const source = store.sources.get(idParam(req, said('staff.error.noSource')));
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, said('error.octetStream'));
    const data = bodyBytes(req);
    // The server cannot read replies either; it checks they are addressed to exactly the right keys,
    // and as long as a padded reply is (its size class, never the text's own length).
    assertPaddedText(data, 'reply', [source.recipientKeyId, ...(await journalistKeys()).keyIds]);
    res.status(201).json({ reply: await store.replies.add(source.id, data, locals(res).journalist!.id) });
  });

  router.get('/replies/:id', (req, res, next) => {
    const name = String(req.params.id);
    const id = idParam(req, said('error.noReply'), name.endsWith('.pgp') ? name.slice(0, -'.pgp'.length) : '');
    res.type('application/octet-stream');
    store.blobs.stream(store.replies.blobById(id)).on('error', next).pipe(res);
  });

  return router;
}
