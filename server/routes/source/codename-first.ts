import { Router, type Response } from 'express';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { HttpError } from '../../http/errors.ts';
import { untilClosed } from '../../http/gate.ts';
import { sendPage } from '../../http/pad-responses.ts';
import { readCookie, setSessionCookie } from '../../http/session.ts';
import { requireSpace } from '../../http/space.ts';
import type { Config } from '../../config.ts';
import { said } from '../../i18n/said.ts';
import { chosenDesk, offerDesks, offeredTo, type Recipients } from '../../sources/desks.ts';
import type { FormTokens, SendResult } from '../../sources/form-tokens.ts';
import { serverMadeSource } from '../../sources/register.ts';
import type { Store } from '../../store/index.ts';
import { renderMessagePage } from '../../views/message.ts';
import { renderCodenamePage } from '../../views/source-conversation.ts';
import { NOT_OPEN } from './api.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import type { SourceGates } from './conversation.ts';
import { brandingFor, keepFormOnRefusal } from './refusals.ts';

type Deps = { config: Config; store: Store; sessions: SourceSessions; gates: SourceGates; tokens: FormTokens; recipients: Recipients };

/**
 * The page a kept send (or a codename asked for first) answers, and the same page for its repeats:
 * a new source's codename page (the session cookie set again), a returning source's "Sent", or,
 * once the first answer is no longer remembered, a plain "this was already sent".
 */
export function answerSend(res: Response, { store, sessions }: Pick<Deps, 'store' | 'sessions'>, result: SendResult | null): void {
  const branding = brandingFor(store);
  if (!result) {
    // The browser may hold a session (from the first answer): it gets its Leave button here too.
    const leave = sessions.get(readCookie(res.req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS))?.csrf;
    return sendPage(res, (t) => renderMessagePage({ t, title: t.text('sent.heading'), message: t.text('sent.already'), branding: branding(t), leave }));
  }
  if (result.codename === null) return res.redirect(303, '/sent');
  const { token, session } = sessions.create(result.sourceId);
  setSessionCookie(res, token, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS);
  const { codename, first = false } = result;
  sendPage(res, (t) => renderCodenamePage(t, codename, branding(t), session.csrf, first));
}

/** Without JavaScript, a codename before anything is sent: a plain form (urlencoded, one field). */
export function codenameFirst(deps: Deps): Router {
  const { config, store, gates, tokens, recipients } = deps;
  const router = Router();
  // A new source's row and key pair are written: refused like any new upload when the disk is low.
  router.post('/codename', offerDesks(store, recipients), requireSpace(config, store, 'new', () => 64 * 1024), async (req, res) => {
    const fields = (req.body ?? {}) as Record<string, unknown>;
    const extra = Object.keys(fields).find((k) => k !== 'once' && k !== 'desk');
    if (extra !== undefined) throw new HttpError(400, said('error.unexpectedField', { field: extra }));
    // With two desks or more the form carries the one chosen: the conversation belongs to it from the start.
    const deskId = chosenDesk(store, offeredTo(res), fields.desk);
    if ((await recipients(deskId)).keys.length === 0) throw new HttpError(503, NOT_OPEN);
    const claim = await tokens.take(typeof fields.once === 'string' ? fields.once : undefined, 'codename');
    // A double click: the second answer is the first one's codename page, not a second codename.
    // One whose first answer is forgotten (after Leave, or ten minutes) gets a new codename: the
    // token never hands out a codename the server no longer holds for it.
    if (!claim.first && claim.answer) return answerSend(res, deps, claim.answer);
    const key = claim.first ? claim.key : null;
    let made: { sourceId: string; codename: string };
    try {
      // PBKDF2 and a key pair, in the same bounded queue as a first send's.
      made = await gates.newSource.run(() => serverMadeSource(store, deskId), untilClosed(res));
      // The connection went while the key pair was made: nobody will ever see this codename, and
      // the source holds nothing, so it is not kept (a refused or broken-off request stores nothing).
      if (res.socket?.destroyed !== false) {
        store.submissions.discardSourceIfEmpty(made.sourceId);
        throw new HttpError(400, said('error.brokeOff'));
      }
      store.submissions.completeAll([], made.sourceId); // announced: the codename is about to be shown
    } catch (error) {
      tokens.release(key);
      throw error;
    }
    const result = { ...made, first: true };
    tokens.remember(key, result);
    answerSend(res, deps, result);
  });
  router.use(keepFormOnRefusal); // not open, busy or full: the start page's forms again, with the reason
  return router;
}
