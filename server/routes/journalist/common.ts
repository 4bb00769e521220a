import type { Request, Response } from 'express';
import { isUsername } from '../../../common/ids.ts';
import { staffPage, type Viewer } from '../../views/journalist/frame.ts';
import { escapeHtml } from '../../views/escape.ts';
import type { Sessions } from '../../auth/sessions.ts';
import type { Throttle } from '../../auth/throttle.ts';
import type { Config } from '../../config.ts';
import type { Recipients } from '../../recipients.ts';
import { HttpError, type ErrorPage } from '../../http/errors.ts';
import { locals } from '../../http/session.ts';
import { noticeTaker } from '../../http/notice.ts';
import type { Store } from '../../store/index.ts';
import type { OnionAccess } from '../../tor/access.ts';
import { said } from '../../i18n/said.ts';

/** One-time first-run setup: the token lives in memory, valid until used or the server restarts. */
export type SetupState = { token: string | null };
export type JournalistDeps = {
  config: Config;
  store: Store;
  sessions: Sessions;
  throttle: Throttle;
  setup: SetupState;
  /** TOTP codes are single-use: the last step each journalist used, at enrolment or login (memory only). */
  usedSteps: Map<number, number>;
  /** The keys replies are also encrypted to; serve() shares the source app's, tests may leave it out. */
  recipients?: Recipients;
  /** Journalists' onion access keys; serve() passes one, tests of the web interface alone may not. */
  onionAccess?: OnionAccess;
  /** The source onion address, once made, to show administrators. */
  sourceOnion?: string | null;
  /** The source listener's own address (http://host:port/), shown to administrators when there is no onion. */
  sourceUrl?: string;
};

export function viewer(res: Response): Viewer {
  const l = locals(res);
  if (!l.journalist || !l.session) throw new HttpError(401, said('error.logInFirst'));
  const j = l.journalist;
  // fewAdmins: set for the admin area by adminRoutes (routes/journalist/admin.ts), which counts them.
  const fewAdmins = (res.locals as { fewAdmins?: boolean }).fewAdmins === true;
  return { username: j.username, isAdmin: j.isAdmin, csrf: l.session.csrf, lockMinutes: j.lockMinutes, notice: noticeTaker(l.session), ...(fewAdmins ? { fewAdmins } : {}) };
}

/** A refusal on the journalist listener: a staff page for a logged-in journalist, so the workspace keeps its key. */
export const staffErrorPage: ErrorPage = (res) => {
  const l = locals(res);
  const v = l.journalist && l.session ? viewer(res) : undefined;
  return (t, title, message) => staffPage(t, title, `<h1>${escapeHtml(title)}</h1>\n<p>${escapeHtml(message)}</p>\n<p><a href="/">${t.html('message.back')}</a></p>`, v);
};

/** The urlencoded form's fields, all strings, none unknown (csrf is checked by its middleware). */
export function formFields<K extends string>(req: Request, allowed: readonly K[], optional: readonly K[] = []): Record<K, string> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const out = {} as Record<K, string>;
  for (const [name, value] of Object.entries(body)) {
    if (name === 'csrf') continue;
    if (!(allowed as readonly string[]).includes(name)) throw new HttpError(400, said('error.unexpectedField', { field: name }));
    if (typeof value !== 'string') throw new HttpError(400, said('staff.error.fieldText', { field: name }));
    out[name as K] = value;
  }
  for (const name of allowed) {
    if (out[name] === undefined && !optional.includes(name)) throw new HttpError(400, said('error.fieldMissing', { field: name }));
    out[name] ??= '';
  }
  return out;
}

/** A username from a form, or a 400 that says what the rule is. */
export function usernameField(value: string): string {
  if (!isUsername(value)) throw new HttpError(400, said('staff.error.username'));
  return value;
}
