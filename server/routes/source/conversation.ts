import { Router, type Request, type RequestHandler } from 'express';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { HttpError } from '../../http/errors.ts';
import { jsonObject } from '../../http/validate.ts';
import { registerSource } from '../../sources/register.ts';
import { ConflictError, NotFoundError, type Store } from '../../store/index.ts';

/**
 * Wrong codenames are throttled without a lockout: behind Tor every source shares one address, so a
 * global lock would let anyone shut every source out. Instead, logins in flight are capped
 * (`codenameGate`) and each wrong codename is answered only after a delay.
 */
export type ConversationDeps = { store: Store; sessions: SourceSessions; codenameGate: RequestHandler };

export const UNKNOWN_CODENAME = 'That codename is not recognised. Check each word and try again.';
export const WRONG_CODENAME_DELAY_MS = 1000;
export const slowly = () => new Promise((r) => setTimeout(r, WRONG_CODENAME_DELAY_MS));
const REPLY_ID = /^[0-9a-f]{32}$/;
const text = (v: unknown, name: string, max: number): string => {
  if (typeof v !== 'string' || v.length === 0 || v.length > max) throw new HttpError(400, `"${name}" must be text of at most ${max} characters.`);
  return v;
};

/** The reply id named in the path, or a 404 for anything that could not be one. */
export function replyId(req: Request): string {
  const id = req.params.id;
  if (typeof id !== 'string' || !REPLY_ID.test(id)) throw new HttpError(404, 'No such reply.');
  return id;
}

/** The source's session from the X-Source-Token header (JavaScript path). */
export function sourceOf(sessions: SourceSessions, req: Request): string {
  const session = sessions.get(req.get('x-source-token'));
  if (!session) throw new HttpError(401, 'Your session has ended. Log in again with your codename.');
  return session.sourceId;
}

/** Codename accounts for the JavaScript path: everything secret is derived and decrypted on the device. */
export function conversationApi({ store, sessions, codenameGate }: ConversationDeps): Router {
  const router = Router();

  router.post('/sources', codenameGate, async (req, res) => {
    const body = jsonObject(req, ['login', 'publicKey', 'privateKey']);
    const keys = { loginSecret: text(body.login, 'login', 64), publicKey: text(body.publicKey, 'publicKey', 8000), privateKey: text(body.privateKey, 'privateKey', 8000) };
    let sourceId: string;
    try {
      sourceId = await registerSource(store, keys);
    } catch (error) {
      if (!(error instanceof ConflictError)) throw error;
      // A retry after a lost response (common over Tor) is the same registration: same secret, same key.
      const existing = store.sources.byLogin(keys.loginSecret);
      if (existing.privateKey !== keys.privateKey) {
        await slowly();
        throw error;
      }
      sourceId = existing.id;
    }
    res.status(201).json({ sourceToken: sessions.create(sourceId).token });
  });

  router.post('/sources/login', codenameGate, async (req, res) => {
    const body = jsonObject(req, ['login']);
    let source: { id: string; privateKey: string };
    try {
      source = store.sources.byLogin(text(body.login, 'login', 64));
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await slowly();
      throw new HttpError(401, UNKNOWN_CODENAME);
    }
    res.json({ sourceToken: sessions.create(source.id).token, privateKey: source.privateKey, replies: store.replies.list(source.id) });
  });

  router.get('/replies/:id', (req, res, next) => {
    const blob = store.replies.blobOf(replyId(req), sourceOf(sessions, req));
    res.type('application/octet-stream');
    store.blobs.stream(blob).on('error', next).pipe(res);
  });

  router.post('/replies/:id/read', (req, res) => {
    store.replies.markRead(replyId(req), sourceOf(sessions, req));
    res.status(204).end();
  });

  router.post('/replies/:id/delete', async (req, res) => {
    await store.replies.delete(replyId(req), sourceOf(sessions, req));
    res.status(204).end();
  });

  return router;
}
