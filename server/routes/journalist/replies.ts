import express, { Router, type Request, type Response } from 'express';
import { assertPaddedText } from '../../../common/envelope/pad-text.ts';
import { HttpError } from '../../http/errors.ts';
import { locals, requireJournalist } from '../../http/session.ts';
import { bodyBytes, idParam } from '../../http/validate.ts';
import type { RecipientSet } from '../../recipients.ts';
import type { JournalistDeps } from './common.ts';
import { said } from '../../i18n/said.ts';

/** The keys of a conversation's desk (null: the whole newsroom), as recipients.ts gives them. */
type DeskKeys = (deskId: number | null) => Promise<RecipientSet>;

const MAX_REPLY_BYTES = 256 * 1024;
// A label is a few words; its ciphertext carries one session key per journalist (about 100 bytes each).
const MAX_LABEL_BYTES = 16 * 1024;

/**
 * Conversations: journalists label sources and reply; replies are encrypted in the journalist's
 * browser, to the source and the conversation's desk. A conversation the journalist may not see
 * (access.ts) is "not found", like an unknown id.
 */
export function replyRoutes({ store, recipients }: Pick<JournalistDeps, 'store'> & { recipients: DeskKeys }): Router {
  const router = Router();
  router.use(['/sources', '/replies'], requireJournalist);
  const NO_SOURCE = said('staff.error.noSource');
  /** The source named by the request, if this journalist reads its whole conversation (a shared item's reader does not act on it), and its desk's keys. */
  const visible = async (req: Request, res: Response) => {
    const id = idParam(req, NO_SOURCE);
    store.access.assertWhole(locals(res).journalist!.id, id, NO_SOURCE);
    const deskId = store.desks.deskOf(id);
    return { source: store.sources.get(id), deskId, desk: await recipients(deskId) };
  };

  // Star and done (one conversation or many) are in bulk.ts, beside the list's bulk actions.

  // A label is encrypted in the journalist's page to the keys of the conversation's desk (never the
  // source's): the server stores ciphertext it checked is addressed to exactly those keys, or clears it.
  router.post('/sources/:id/label', express.raw({ type: 'application/octet-stream', limit: MAX_LABEL_BYTES }), async (req, res) => {
    const { source, deskId, desk } = await visible(req, res);
    if (req.get('content-length') === '0') return void (store.sources.setLabel(source.id, null), res.status(204).end()); // cleared
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, said('error.octetStream'));
    const data = bodyBytes(req);
    // Padded to one size inside the encryption: the stored label must not show the name's length.
    assertPaddedText(data, 'label', desk.keyIds);
    // With the desk checked: a move committed meanwhile refuses it (409), else it would stay sealed to the old desk.
    store.sources.setLabel(source.id, Buffer.from(data).toString('base64'), deskId);
    res.status(204).end();
  });

  /** Who a reply must be encrypted to: the source, and the conversation's desk so colleagues can read it. */
  router.get('/sources/:id/keys', async (req, res) => {
    const { source, desk } = await visible(req, res);
    res.json({ keys: [source.publicKey, ...desk.armored] });
  });

  router.post('/sources/:id/replies', express.raw({ type: 'application/octet-stream', limit: MAX_REPLY_BYTES }), async (req, res) => {
    const { source, deskId, desk } = await visible(req, res);
    if (!Buffer.isBuffer(req.body)) throw new HttpError(415, said('error.octetStream'));
    const data = bodyBytes(req);
    // The server cannot read replies either; it checks they are addressed to exactly the right keys,
    // and as long as a padded reply is (its size class, never the text's own length).
    assertPaddedText(data, 'reply', [source.recipientKeyId, ...desk.keyIds]);
    const sealedTo = ['source', ...desk.keys.map((k) => k.fingerprint)];
    res.status(201).json({ reply: await store.replies.add(source.id, data, locals(res).journalist!.id, sealedTo, deskId) });
  });

  router.get('/replies/:id', (req, res, next) => {
    const name = String(req.params.id);
    const id = idParam(req, said('error.noReply'), name.endsWith('.pgp') ? name.slice(0, -'.pgp'.length) : '');
    store.access.assertReply(locals(res).journalist!.id, id, said('error.noReply'));
    res.type('application/octet-stream');
    store.blobs.stream(store.replies.blobById(id)).on('error', next).pipe(res);
  });

  return router;
}
