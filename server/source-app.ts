import express, { type Express } from 'express';
import type { Config } from './config.ts';
import { baseApp } from './http/base.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { staticFiles } from './http/static.ts';
import { sameOriginOnly } from './http/validate.ts';
import { onionLocation } from './http/onion-location.ts';
import { padResponses } from './http/pad-responses.ts';
import { sourceApi } from './routes/source/api.ts';
import { noScriptSubmit } from './routes/source/nojs.ts';
import { sourcePages } from './routes/source/pages.ts';
import { recipientsOf } from './recipients.ts';
import type { Recipients } from './sources/desks.ts';
import { SourceSessions } from './auth/source-sessions.ts';
import { conversationApi, sourceGates } from './routes/source/conversation.ts';
import { noScriptConversation } from './routes/source/nojs-conversation.ts';
import type { Store } from './store/index.ts';
import { logoRoute } from './branding/routes.ts';
import { sourceErrorPage } from './routes/source/refusals.ts';
import { leaveRoute } from './routes/source/leave.ts';
import { codenameFirst } from './routes/source/codename-first.ts';
import { FormTokens } from './sources/form-tokens.ts';

export type AppDeps = {
  config: Config;
  store: Store;
  /** Shared with the journalist app by serve(), so both check each key once; tests may leave it out. */
  recipients?: Recipients;
  /** This drop's source onion address, once `sealdrop onion` has made it: shown to sources who came another way. */
  sourceOnion?: string | null;
  /** Called as each send completes (JS or not): marks the notice window; it does no I/O of its own. */
  arrived?: (desk: number | null) => void;
};

/** The public interface sources use; it never listens by itself, so tests run it on port 0. */
export function createSourceApp({ config, store, recipients = recipientsOf(store), sourceOnion = null, arrived = () => undefined }: AppDeps): Express {
  // One bounded gate per path that costs the server work, so one path's flood cannot starve another.
  const deps = { config, store, recipients, sessions: new SourceSessions(), gates: sourceGates(), tokens: new FormTokens(), arrived };
  const app = baseApp();
  // Before anything answers: no response's size may say which language its reader chose.
  app.use(padResponses());
  if (config.onionLocation && sourceOnion) app.use(onionLocation(sourceOnion));
  app.use('/static', staticFiles());
  app.use(sameOriginOnly());
  app.use('/api', express.json({ limit: '16kb' }), sourceApi(deps), conversationApi(deps));
  app.use(noScriptSubmit(deps));
  app.use(express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 4 }), noScriptConversation(deps), leaveRoute(deps), codenameFirst(deps));
  app.use(logoRoute(store));
  app.use(sourcePages({ ...deps, sourceOnion }));
  app.use(notFound());
  app.use(errorHandler({ page: sourceErrorPage(deps) }));
  return app;
}
