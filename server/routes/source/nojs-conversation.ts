import { Router } from 'express';
import { openReplies } from '../../sources/unlock.ts';
import { deriveSourceSecrets, normaliseCodename, NotACodenameError, olderReading } from '../../../common/codename.ts';
import { renderConversation, renderSourceLogin, type ShownReply } from '../../views/source-conversation.ts';
import { renderMessagePage } from '../../views/message.ts';
import { sendPage } from '../../http/pad-responses.ts';
import { inEveryLanguage } from '../../http/padding.ts';
import { HttpError } from '../../http/errors.ts';
import { readCookie, setSessionCookie } from '../../http/session.ts';
import { sameToken } from '../../auth/sessions.ts';
import type { Store } from '../../store/index.ts';
import { untilClosed } from '../../http/gate.ts';
import type { Config } from '../../config.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import { brandingFor } from './refusals.ts';
import { sentItems, STATUS_KEY, type SentItem, type SentStatus } from '../../sources/sent-items.ts';
import type { FormTokens } from '../../sources/form-tokens.ts';
import { formatLimit } from '../../../common/sizes.ts';
import { replyId, slowly, sourceByLogin, UNKNOWN_CODENAME, UnknownCodenameError, type ConversationDeps } from './conversation.ts';
import { said, say } from '../../i18n/said.ts';
import { tOf } from '../../i18n/middleware.ts';
import type { Translator } from '../../i18n/index.ts';

/**
 * Room on the conversation page for the replies' own bytes (their text and its markup), so that
 * a page with one short reply or a few is the same size as one with none: what the newsroom wrote,
 * and how much, does not show on the wire. Beyond it the page grows by size class (padding.ts).
 */
export const REPLY_ROOM = 4096;

/** The one field a no-JS form sends, as text; anything else in the body is refused. */
function onlyField(body: unknown, name: string): string {
  const fields = (body ?? {}) as Record<string, unknown>;
  const extra = Object.keys(fields).filter((k) => k !== name);
  if (extra.length) throw new HttpError(400, said('error.unexpectedField', { field: extra[0]! }));
  if (typeof fields[name] !== 'string') throw new HttpError(400, said('error.fieldMissing', { field: name }));
  return fields[name];
}


/**
 * Returning sources without JavaScript: the server derives the secrets from the codename and
 * decrypts the replies in memory for one response, then forgets the codename and the key.
 */
export function noScriptConversation({ config, store, sessions, gates, tokens }: ConversationDeps & { config: Config; tokens: FormTokens }): Router {
  const router = Router();
  const maxFile = formatLimit(config.maxFileBytes);

  router.get('/login', (req, res) => {
    const branding = brandingFor(store);
    // A browser still logged in (after a send without JavaScript) can leave from here too.
    const leave = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS))?.csrf;
    sendPage(res, (t) => renderSourceLogin({ t, maxFile, branding: branding(t), leave }));
  });

  router.post('/login', async (req, res) => {
    let codename: string;
    const branding = brandingFor(store);
    const typed = onlyField(req.body, 'codename');
    // A refused codename stays in the field, to be corrected rather than typed again.
    const again = (t: Translator, error: string) => renderSourceLogin({ t, error, maxFile, branding: branding(t), typed });
    try {
      codename = normaliseCodename(typed);
    } catch (error) {
      if (error instanceof NotACodenameError) return sendPage(res.status(400), (t) => again(t, t.text(error.key, error.values)));
      throw error;
    }
    let opened: { sourceId: string; replies: ShownReply[] };
    try {
      opened = await gates.codenameLogin.run(() => openEither(store, codename, olderReading(typed)), untilClosed(res));
    } catch (error) {
      // Too many logins at once: the same form, the codename still in it, to try again in a moment.
      if (error instanceof HttpError && error.status === 503) return sendPage(res.status(503), (t) => again(t, say(t, error.said)));
      if (!(error instanceof UnknownCodenameError)) throw error;
      await slowly(req); // the gate slot is already free, and the connection gives way to a newcomer meanwhile
      return sendPage(res.status(401), (t) => again(t, say(t, UNKNOWN_CODENAME)));
    }
    const { token, session } = sessions.create(opened.sourceId);
    setSessionCookie(res, token, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS);
    const once = tokens.issue();
    // What the source sent is in the page the padding is measured on too: only the replies' room varies.
    const sent = await sentItems(store, opened.sourceId);
    const page = (replies: ShownReply[], items: SentItem[] = sent) => (t: Translator) => renderConversation({ t, replies, sent: items, csrf: session.csrf, maxFile, branding: branding(t), once });
    // The room is measured with every item in its longest state: a reply, or a journalist opening an item, changes
    // an item's status words, and that must not move the page to another size class either.
    const room = Math.max(...(Object.keys(STATUS_KEY) as SentStatus[]).map((status) => inEveryLanguage(tOf(res), page([], sent.map((i) => ({ ...i, status })))).longest));
    sendPage(res, page(opened.replies), { atLeast: room + REPLY_ROOM });
  });

  router.post('/replies/:id/delete', async (req, res) => {
    const session = sessions.get(readCookie(req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS));
    const csrf = onlyField(req.body, 'csrf');
    if (!session || typeof csrf !== 'string' || !sameToken(csrf, session.csrf)) throw new HttpError(403, said('error.sessionEnded'));
    await store.replies.delete(replyId(req), session.sourceId);
    const branding = brandingFor(store);
    sendPage(res, (t) => renderMessagePage({ t, title: t.text('replies.deleted.title'), message: t.text('replies.deleted.body'), branding: branding(t), leave: session.csrf }));
  });

  return router;
}

/** Digits from a codename made before the added words may read two ways (common/codename.ts): the older one is tried second. */
async function openEither(store: Store, codename: string, older: string | null): Promise<{ sourceId: string; replies: ShownReply[] }> {
  try {
    return await openConversation(store, codename);
  } catch (error) {
    if (!older || !(error instanceof UnknownCodenameError)) throw error;
    return openConversation(store, older);
  }
}

/** The work the login gate bounds: PBKDF2, then unlocking the key and decrypting the replies. */
async function openConversation(store: Store, codename: string): Promise<{ sourceId: string; replies: ShownReply[] }> {
  const secrets = await deriveSourceSecrets(codename, store.sources.kdfSalt());
  const source = sourceByLogin(store, secrets.loginSecret);
  const replies = await openReplies(store, source, secrets.keyPassphrase);
  // Marked read only once every reply is ready to be shown.
  for (const r of replies) store.replies.markRead(r.id, source.id);
  return { sourceId: source.id, replies };
}
