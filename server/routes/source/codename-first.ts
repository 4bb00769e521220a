import { Router, type Response } from 'express';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { HttpError } from '../../http/errors.ts';
import { untilClosed } from '../../http/gate.ts';
import { sendPage } from '../../http/pad-responses.ts';
import { setSessionCookie } from '../../http/session.ts';
import { said } from '../../i18n/said.ts';
import type { RecipientSet } from '../../recipients.ts';
import type { FormTokens, SendResult } from '../../sources/form-tokens.ts';
import { serverMadeSource } from '../../sources/register.ts';
import type { Store } from '../../store/index.ts';
import { renderMessagePage } from '../../views/message.ts';
import { renderCodenamePage } from '../../views/source-conversation.ts';
import { NOT_OPEN } from './api.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import type { SourceGates } from './conversation.ts';
import { brandingFor } from './refusals.ts';

type Deps = { store: Store; sessions: SourceSessions; gates: SourceGates; tokens: FormTokens; recipients: () => Promise<RecipientSet> };

/**
 * The page a kept send (or a codename asked for first) answers, and the same page for its repeats:
 * a new source's codename page (the session cookie set again), a returning source's "Sent", or,
 * once the first answer is no longer remembered, a plain "this was already sent".
 */
export function answerSend(res: Response, { store, sessions }: Pick<Deps, 'store' | 'sessions'>, result: SendResult | null): void {
  const branding = brandingFor(store);
  if (!result) return sendPage(res, (t) => renderMessagePage({ t, title: t.text('sent.heading'), message: t.text('sent.already'), branding: branding(t) }));
  if (result.codename === null) return res.redirect(303, '/sent');
  const { token, session } = sessions.create(result.sourceId);
  setSessionCookie(res, token, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS);
  const { codename, first = false } = result;
  sendPage(res, (t) => renderCodenamePage(t, codename, branding(t), session.csrf, first));
}

/** Without JavaScript, a codename before anything is sent: a plain form (urlencoded, one field). */
export function codenameFirst(deps: Deps): Router {
  const { store, gates, tokens, recipients } = deps;
  const router = Router();
  router.post('/codename', async (req, res) => {
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const extra = Object.keys(fields).find((k) => k !== 'once');
    if (extra !== undefined) throw new HttpError(400, said('error.unexpectedField', { field: extra }));
    if ((await recipients()).keys.length === 0) throw new HttpError(503, NOT_OPEN);
    const claim = tokens.claim(typeof fields.once === 'string' ? fields.once : undefined);
    // A double click: the second answer is the first one's codename page, not a second codename.
    if (!claim.first) return answerSend(res, deps, await claim.earlier);
    let made: { sourceId: string; codename: string };
    try {
      // PBKDF2 and a key pair, in the same bounded queue as a first send's.
      made = await gates.newSource.run(() => serverMadeSource(store), untilClosed(res));
      store.submissions.completeAll([], made.sourceId); // announced: the codename is about to be shown
    } catch (error) {
      tokens.release(claim.key);
      throw error;
    }
    const result = { ...made, first: true };
    tokens.remember(claim.key, result);
    answerSend(res, deps, result);
  });
  return router;
}
