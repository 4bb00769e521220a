import type { Express } from 'express';
import { renderMessagePage } from '../client/pages/message.ts';
import type { AppDeps } from './source-app.ts';
import { baseApp } from './http/base.ts';
import { errorHandler, notFound } from './http/errors.ts';
import { staticFiles } from './http/static.ts';
import { sameOriginOnly } from './http/validate.ts';

/** The staff interface, on its own listener so it can sit behind a client-authorised onion service. */
export function createJournalistApp(deps: AppDeps): Express {
  const app = baseApp();
  app.use('/static', staticFiles());
  app.use(sameOriginOnly());
  app.get('/', (_req, res) => {
    const count = deps.store.journalists.active().length;
    res.type('html').send(
      renderMessagePage({
        title: 'Sealdrop for journalists',
        message: `${count} journalist key(s) active. Export submissions with "npx sealdrop export" and decrypt them on your own device with "npx sealdrop decrypt" or gpg.`,
      }),
    );
  });
  app.use(notFound());
  app.use(errorHandler());
  return app;
}
