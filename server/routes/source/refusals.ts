import type { ErrorRequestHandler, Response } from 'express';
import { classify, type ErrorPage } from '../../http/errors.ts';
import { typedFields, type Typed } from '../../nojs/form.ts';
import type { Translator } from '../../i18n/index.ts';
import type { Store } from '../../store/index.ts';
import type { SourceSessions } from '../../auth/source-sessions.ts';
import { readCookie } from '../../http/session.ts';
import { renderMessagePage } from '../../views/message.ts';
import { renderSourcePage } from '../../views/source.ts';
import type { PageBranding } from '../../views/source-frame.ts';
import { formatLimit } from '../../../common/sizes.ts';
import type { Config } from '../../config.ts';
import type { FormTokens } from '../../sources/form-tokens.ts';
import { SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS } from './cookie.ts';
import { deskOfSource, shownDesks } from '../../sources/desks.ts';

/** What the source typed into the form being answered (the no-JS send fills it as it reads the form). */
export const keepTyped = (res: Response): Typed => ((res.locals as { typed?: Typed }).typed ??= { message: '' });
const typedOf = (res: Response): Typed | undefined => (res.locals as { typed?: Typed }).typed;

// Refusals that come back as the form, what was typed kept: every 4xx, and "not open / busy" (503)
// and "the server is full" (507), which say to try again later: the message is still there then.
const asForm = (status: number) => status < 500 || status === 503 || status === 507;

/**
 * The last error handler of the no-JS send and codename-first routers. A refusal made before the
 * form's body was read (not open, every upload slot busy, the disk low) reads the message and the
 * desk now (they come before the files; the rest is read and dropped), so the form comes back with it; a
 * codename-first form has nothing typed, and comes back as the start page's forms.
 */
export const keepFormOnRefusal: ErrorRequestHandler = async (error: unknown, req, res, next) => {
  const { status } = classify(error);
  if (status === 503 || status === 507) {
    const typed = keepTyped(res);
    // The desk chosen too, not only the message: the form comes back with the same radio checked.
    if (req.is('multipart/form-data') && !req.readableDidRead) Object.assign(typed, await typedFields(req));
  }
  next(error);
};

/** The newsroom's face in each language (its texts may differ per language; the logo is one). */
export function brandingFor(store: Store): (t: Translator) => PageBranding {
  const logo = store.settings.logo() !== null;
  return (t) => ({ ...store.settings.branding(t.tag), logo });
}

// A heading that says what happened; the message under it says why and what to do.
function titleFor(t: Translator, status: number, fallback: string): string {
  if (status === 404) return t.text('error.title.notFound');
  if (status === 401) return t.text('error.title.loggedOut');
  if (status === 413) return t.text('error.title.notSent');
  return fallback;
}

/**
 * Refusals on the source listener, under the newsroom's name. A refused no-JavaScript send comes
 * back as the send form itself, the reason above it and the message the source typed still in it
 * (files cannot be put back into a file input: the reason says to choose them again).
 */
export function sourceErrorPage({ config, store, sessions, tokens }: { config: Config; store: Store; sessions: SourceSessions; tokens: FormTokens }): ErrorPage {
  return (res) => {
    const branding = brandingFor(store);
    const typed = typedOf(res);
    const session = sessions.get(readCookie(res.req, SOURCE_COOKIE, SOURCE_COOKIE_OPTIONS));
    const once = typed ? tokens.issue() : undefined; // nothing was kept: a new token for the form shown again
    const ownDesk = session ? deskOfSource(store, session.sourceId) : undefined; // undefined: nobody logged in
    return (t, title, message) => {
      const status = res.statusCode;
      if (typed && asForm(status)) {
        const refused = { reason: message, message: typed.message, desk: typed.desk };
        return renderSourcePage({ t, open: true, maxFile: formatLimit(config.maxFileBytes), branding: branding(t), refused, leave: session?.csrf, once, desks: shownDesks(res), ownDesk });
      }
      return renderMessagePage({ t, title: titleFor(t, status, title), message, branding: branding(t), leave: session?.csrf });
    };
  };
}
