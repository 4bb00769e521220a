import express, { type Express } from 'express';
import { securityHeaders } from './security.ts';
import { chooseLanguage } from '../i18n/middleware.ts';

/** An express app with the settings both interfaces share; routes are added by the caller. */
export function baseApp(): Express {
  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(securityHeaders());
  app.use(chooseLanguage());
  return app;
}
