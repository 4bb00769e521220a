import { Router } from 'express';
import { decryptObject, readPrivateKey } from '../../../client/envelope/index.ts';
import { deriveSourceSecrets, normaliseCodename, NotACodenameError } from '../../../client/shared/codename.ts';
import { renderConversation, renderSourceLogin, type ShownReply } from '../../../client/pages/source-conversation.ts';
import { renderMessagePage } from '../../../client/pages/message.ts';
import { HttpError } from '../../http/errors.ts';
import { readCookie, setSessionCookie } from '../../http/session.ts';
import { sameToken } from '../../auth/sessions.ts';
import { NotFoundError } from '../../store/index.ts';
import type { Config } from '../../config.ts';
import { replyId, slowly, UNKNOWN_CODENAME, type ConversationDeps } from './conversation.ts';

/** The one field a no-JS form sends, as text; anything else in the body is refused. */
function onlyField(body: unknown, name: string): string {
  const fields = (body ?? {}) as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => k !== name);
  if (extra.length) throw new HttpError(400, `Unexpected form field "${extra[0]}".`);
  if (typeof fields[name] !== 'string') throw new HttpError(400, `The field "${name}" is missing.`);
  return fields[name];
}
import { SOURCE_COOKIE } from './nojs.ts';


/**
 * Returning sources without JavaScript: the server derives the secrets from the codename and
 * decrypts the replies in memory for one response, then forgets the codename and the key.
 */
export function noScriptConversation({ config, store, sessions, codenameGate }: ConversationDeps & { config: Config }): Router {
  const router = Router();
  const maxFileMiB = Math.floor(config.maxFileBytes / 1048576);

  router.get('/login', (_req, res) => void res.type('html').send(renderSourceLogin({ maxFileMiB })));

  router.post('/login', codenameGate, async (req, res) => {
    let codename: string;
    try {
      codename = normaliseCodename(onlyField(req.body, 'codename'));
    } catch (error) {
      if (error instanceof NotACodenameError) return void res.status(400).type('html').send(renderSourceLogin({ error: error.message, maxFileMiB }));
      throw error;
    }
    const secrets = await deriveSourceSecrets(codename, store.sources.kdfSalt());
    let source: { id: string; privateKey: string };
    try {
      source = store.sources.byLogin(secrets.loginSecret);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
      await slowly();
      return void res.status(401).type('html').send(renderSourceLogin({ error: UNKNOWN_CODENAME, maxFileMiB }));
    }
    const key = await readPrivateKey(source.privateKey, secrets.keyPassphrase);
    const replies: ShownReply[] = [];
    for (const r of store.replies.list(source.id)) {
      const plaintext = await decryptObject({ data: await store.blobs.read(store.replies.blobOf(r.id, source.id)), keys: [key] });
      replies.push({ id: r.id, day: r.createdDay, text: new TextDecoder().decode(plaintext) });
    }
    // Marked read only once every reply is ready to be shown.
    for (const r of replies) store.replies.markRead(r.id, source.id);
    const { token, session } = sessions.create(source.id);
    setSessionCookie(res, token, SOURCE_COOKIE);
    res.type('html').send(renderConversation({ replies, csrf: session.csrf, maxFileMiB }));
  });

  router.post('/replies/:id/delete', async (req, res) => {
    const session = sessions.get(readCookie(req, SOURCE_COOKIE));
    const csrf = onlyField(req.body, 'csrf');
    if (!session || typeof csrf !== 'string' || !sameToken(csrf, session.csrf)) throw new HttpError(403, 'Your session has ended. Log in again with your codename.');
    await store.replies.delete(replyId(req), session.sourceId);
    res.type('html').send(renderMessagePage({ title: 'Reply deleted', message: 'The reply was deleted from the server.' }));
  });

  return router;
}
