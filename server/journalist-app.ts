import express, { type Express } from 'express';
import { baseApp } from './http/base.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { csrfCheck, loadSession } from './http/session.ts';
import { staticFiles } from './http/static.ts';
import { staffErrorPage, type JournalistDeps } from './routes/journalist/common.ts';
import { adminRoutes } from './routes/journalist/admin.ts';
import { accountRoutes } from './routes/journalist/account.ts';
import { accessRoutes } from './routes/journalist/access.ts';
import { authRoutes } from './routes/journalist/auth.ts';
import { enrolRoutes } from './routes/journalist/enrol.ts';
import { conversationRoutes } from './routes/journalist/conversation.ts';
import { inboxRoutes } from './routes/journalist/inbox.ts';
import { replyRoutes } from './routes/journalist/replies.ts';
import { rewrapRoutes } from './routes/journalist/rewrap.ts';
import { allowSafeViewFrame, safeViewRoutes } from './routes/journalist/safe-view.ts';
import { recipientsOf } from './recipients.ts';
import { brandingAdminRoutes } from './branding/routes.ts';

export type { JournalistDeps, SetupState } from './routes/journalist/common.ts';

/** The staff interface, on its own listener so it can sit behind a client-authorised onion service. */
export function createJournalistApp(deps: JournalistDeps): Express {
  const app = baseApp();
  app.use('/static', staticFiles());
  // The Safe view (issue 24): journalist pages may frame /safe-view, a static sandboxed page needing no session.
  app.use(allowSafeViewFrame);
  app.use(safeViewRoutes());
  // For monitoring, on this listener only (never the source one): no data, no version, no session.
  app.get('/healthz', (_req, res) => {
    try {
      deps.store.ping();
    } catch {
      return void res.status(503).type('text/plain').send('unavailable');
    }
    res.type('text/plain').send('ok');
  });
  // 210 fields: a bulk action names up to 200 conversations (routes/journalist/bulk.ts), each form's own fields are few.
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 210 }));
  app.use(loadSession(deps.sessions, deps.store));
  app.use(csrfCheck());
  app.use(authRoutes(deps));
  app.use(enrolRoutes(deps));
  app.use(brandingAdminRoutes(deps.store));
  app.use(adminRoutes(deps));
  app.use(accountRoutes(deps));
  app.use(accessRoutes(deps));
  app.use(replyRoutes({ store: deps.store, recipients: deps.recipients ?? recipientsOf(deps.store) }));
  app.use(rewrapRoutes(deps));
  app.use(conversationRoutes(deps));
  app.use(inboxRoutes(deps));
  app.use(notFound());
  app.use(errorHandler({ page: staffErrorPage }));
  return app;
}
