import type { Request, Response } from 'express';
import type { Viewer } from '../../views/journalist/frame.ts';
import type { Sessions } from '../../auth/sessions.ts';
import type { Throttle } from '../../auth/throttle.ts';
import type { Config } from '../../config.ts';
import { HttpError } from '../../http/errors.ts';
import { locals } from '../../http/session.ts';
import type { Store } from '../../store/index.ts';

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
};

export const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

export function viewer(res: Response): Viewer {
  const l = locals(res);
  if (!l.journalist || !l.session) throw new HttpError(401, 'Log in first.');
  return { username: l.journalist.username, isAdmin: l.journalist.isAdmin, csrf: l.session.csrf };
}

/** The urlencoded form's fields, all strings, none unknown (csrf is checked by its middleware). */
export function formFields<K extends string>(req: Request, allowed: readonly K[], optional: readonly K[] = []): Record<K, string> {
  const body = (req.body ?? {}) as Record<string, unknown>;
  const out = {} as Record<K, string>;
  for (const [name, value] of Object.entries(body)) {
    if (name === 'csrf') continue;
    if (!(allowed as readonly string[]).includes(name)) throw new HttpError(400, `Unexpected form field "${name}".`);
    if (typeof value !== 'string') throw new HttpError(400, `The field "${name}" must be text.`);
    out[name as K] = value;
  }
  for (const name of allowed) {
    if (out[name] === undefined && !optional.includes(name)) throw new HttpError(400, `The field "${name}" is missing.`);
    out[name] ??= '';
  }
  return out;
}

export const idParam = (req: Request, pattern: RegExp, what: string): string => {
  const value = req.params.id;
  if (typeof value !== 'string' || !pattern.test(value)) throw new HttpError(404, `No such ${what}.`);
  return value;
};
